import CSocketShim
import TMConfig
import TMRouting
import TMSystem

#if canImport(Glibc)
import Glibc
#endif

/// A socket could not be set up; the message names the address and the system's reason.
public struct SocketError: Error, CustomStringConvertible {
    public let description: String

    init(_ what: String, _ address: ListenAddress) {
        description = "\(what) \(address): \(String(cString: strerror(errno)))"
    }
}

/// Opens listening sockets. IPv6 sockets are IPv6-only so that `0.0.0.0` and `[::]` can both be bound.
enum Socket {
    /// `sharedPort`: SO_REUSEPORT, so that several sockets (one per listener thread) share the address.
    static func bound(_ address: ListenAddress, stream: Bool, sharedPort: Bool = false) throws -> Int32 {
        let family = address.isIPv6 ? AF_INET6 : AF_INET
        let kind = Int32(stream ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue)
        let fd = socket(family, kind | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("cannot open a socket for", address) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if address.isIPv6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size)) }
        if sharedPort { csock_enable_reuseport(fd) }
        if !stream {
            // Room for bursts: a full receive buffer is where a saturated UDP server loses queries.
            var size: Int32 = 4 << 20
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let result = address.ipAddress.withSockaddr(port: address.port) { bind(fd, $0, $1) }
        guard result == 0 else {
            let error = SocketError("cannot bind", address)
            close(fd)
            throw error
        }
        if stream, listen(fd, 128) != 0 {
            let error = SocketError("cannot listen on", address)
            close(fd)
            throw error
        }
        return fd
    }

    static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }
}

extension ListenAddress {
    var isIPv6: Bool {
        if case .ipv6 = host { true } else { false }
    }

    var ipAddress: IPAddress {
        switch host {
        case .ipv4(let v4): .v4(v4)
        case .ipv6(let v6): .v6(v6)
        }
    }
}
