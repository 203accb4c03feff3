import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The two loopback addresses the tests use.
enum Loopback: Sendable {
    case v4
    case v6

    var text: String { self == .v4 ? "127.0.0.1" : "::1" }

    func listenArgument(port: UInt16) -> String { self == .v4 ? "127.0.0.1:\(port)" : "[::1]:\(port)" }

    var family: Int32 { self == .v4 ? AF_INET : AF_INET6 }

    func withSockaddr<R>(port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch self {
        case .v4:
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6:
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &address.sin6_addr) { bytes in
                for index in bytes.indices { bytes[index] = 0 }
                bytes[15] = 1
            }
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }
}

/// Finds loopback ports that are free for both UDP and TCP, never handing out the same port twice in one run
/// (tests run in parallel; a server that still loses the race is restarted on another port by `ServerProcess`).
enum FreePort {
    private final class Registry: @unchecked Sendable {
        private let lock = NSLock()
        private var used: Set<UInt16> = []

        func claim(_ port: UInt16) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            return used.insert(port).inserted
        }
    }

    private static let registry = Registry()

    static func pick(on addresses: [Loopback] = [.v4]) throws -> UInt16 {
        for _ in 0..<200 {
            guard let port = ephemeralPort(), port >= 1024 else { continue }
            let free = addresses.allSatisfy {
                canBind($0, port: port, stream: false) && canBind($0, port: port, stream: true)
            }
            if free, registry.claim(port) { return port }
        }
        throw HarnessError("no free loopback port found for \(addresses.map(\.text))")
    }

    /// A port the kernel picks for a UDP socket bound to 127.0.0.1:0.
    private static func ephemeralPort() -> UInt16? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard Loopback.v4.withSockaddr(port: 0, { bind(fd, $0, $1) }) == 0 else { return nil }
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return result == 0 ? UInt16(bigEndian: address.sin_port) : nil
    }

    private static func canBind(_ address: Loopback, port: UInt16, stream: Bool) -> Bool {
        let fd = socket(address.family, Int32(stream ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if address == .v6 {
            var on: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        return address.withSockaddr(port: port) { bind(fd, $0, $1) } == 0
    }
}

/// Waits until `fd` is readable, at most `timeout` seconds.
private func waitReadable(_ fd: Int32, timeout: Double) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        let remaining = max(0, deadline.timeIntervalSinceNow)
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, Int32((remaining * 1000).rounded(.up)))
        if ready > 0 { return true }
        if ready < 0, errno == EINTR { continue }
        return false
    }
}

/// A connected UDP socket to a loopback server: raw datagrams in and out.
final class UDPClient {
    let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 65536)

    /// `source`: an IPv4 loopback address to send from (any of 127.0.0.0/8), so that tests can be several clients.
    init(port: UInt16, address: Loopback = .v4, source: String? = nil) throws {
        fd = socket(address.family, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("cannot open a UDP socket: \(String(cString: strerror(errno)))") }
        var size: Int32 = 1 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, source, &local.sin_addr)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw HarnessError("cannot bind a UDP socket to \(source): \(reason)")
            }
        }
        guard address.withSockaddr(port: port, { connect(fd, $0, $1) }) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw HarnessError("cannot connect a UDP socket to \(address.text) port \(port): \(reason)")
        }
    }

    deinit { close(fd) }

    /// Sends one datagram (any length, zero included). False when the system refused it.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) } == bytes.count
    }

    /// The next datagram, or nil after `timeout` seconds (or on an ICMP error such as port unreachable).
    func receive(timeout: Double) -> [UInt8]? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            guard waitReadable(fd, timeout: max(0, deadline.timeIntervalSinceNow)) else { return nil }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count >= 0 { return Array(buffer[0..<count]) }
            if errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED {
                if deadline.timeIntervalSinceNow <= 0 { return nil }
                continue
            }
            return nil
        }
    }

    /// Sends `query` and returns the first datagram whose ID matches it, or nil after `timeout` seconds.
    func exchange(_ query: [UInt8], timeout: Double = 2) -> [UInt8]? {
        guard query.count >= 2, send(query) else { return nil }
        let deadline = Date().addingTimeInterval(timeout)
        while let reply = receive(timeout: max(0, deadline.timeIntervalSinceNow)) {
            if reply.count >= 2, reply[0] == query[0], reply[1] == query[1] { return reply }
        }
        return nil
    }
}

/// A TCP connection to a loopback server, with DNS's 2-byte length framing (RFC 1035 4.2.2) on demand.
final class TCPClient {
    private(set) var fd: Int32
    private var input: [UInt8] = []
    /// The peer closed its side (read returned 0).
    private(set) var peerClosed = false

    /// `source`: an IPv4 loopback address (any of 127.0.0.0/8) to connect from, so that a test can act as many
    /// clients; the system picks one when nil.
    init(port: UInt16, address: Loopback = .v4, source: String? = nil) throws {
        fd = socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("cannot open a TCP socket: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            let bound =
                inet_pton(AF_INET, source, &local.sin_addr) == 1
                && withUnsafePointer(to: &local) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                } == 0
            guard bound else {
                let reason = String(cString: strerror(errno))
                _ = Glibc.close(fd)
                throw HarnessError("cannot bind a TCP socket to \(source): \(reason)")
            }
        }
        guard address.withSockaddr(port: port, { connect(fd, $0, $1) }) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = Glibc.close(fd)
            throw HarnessError("cannot connect over TCP to \(address.text) port \(port): \(reason)")
        }
    }

    deinit { close() }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    /// Writes the bytes as they are (no framing).
    func sendRaw(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw HarnessError("TCP send failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    static func frame(_ message: [UInt8]) -> [UInt8] {
        [UInt8(message.count >> 8 & 0xff), UInt8(message.count & 0xff)] + message
    }

    func sendFramed(_ message: [UInt8]) throws { try sendRaw(Self.frame(message)) }

    /// The next length-prefixed message, or nil after `timeout` seconds or when the connection ends.
    func receiveFramed(timeout: Double) -> [UInt8]? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if input.count >= 2 {
                let length = Int(input[0]) << 8 | Int(input[1])
                if input.count >= 2 + length {
                    let message = Array(input[2..<2 + length])
                    input.removeFirst(2 + length)
                    return message
                }
            }
            guard !peerClosed, fd >= 0, waitReadable(fd, timeout: max(0, deadline.timeIntervalSinceNow)) else {
                return nil
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 {
                input += chunk[0..<count]
            } else if count == 0 {
                peerClosed = true
            } else if errno != EAGAIN, errno != EINTR {
                peerClosed = true
            }
        }
    }

    /// Sends a framed query and waits for a framed reply with its ID.
    func exchange(_ query: [UInt8], timeout: Double = 2) throws -> [UInt8]? {
        try sendFramed(query)
        let deadline = Date().addingTimeInterval(timeout)
        while let reply = receiveFramed(timeout: max(0, deadline.timeIntervalSinceNow)) {
            if reply.count >= 2, reply[0] == query[0], reply[1] == query[1] { return reply }
        }
        return nil
    }
}
