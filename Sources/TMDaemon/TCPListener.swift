import Foundation
import TMRouting
import TMSystem
import TMWire

#if canImport(Glibc)
import Glibc
#endif

/// Answers DNS over TCP (RFC 7766) on one listening socket: several queries per connection, pipelining, an idle
/// timeout, and a cap on connections, all from one poll loop on its own thread. Replies made by the status desk
/// come back through `StreamOutbox` and may overtake earlier answers on their connection (RFC 7766 §6.2.1.1).
final class TCPListener: ListenerLoop, @unchecked Sendable {
    // @unchecked: after init, all state is touched only by the listener's own thread.
    struct Limits {
        var idleSeconds = 10.0
        var maxConnections = 256
        /// Stop reading from a client that does not read its answers.
        var maxPendingOutput = 256 * 1024

        /// The idle timeout in edns-tcp-keepalive's units of 100 ms.
        var keepaliveTimeout: UInt16 { UInt16(clamping: Int((idleSeconds * 10).rounded())) }
    }

    private struct Connection {
        /// Tells a connection from a later one that reuses its descriptor, for replies that come back late.
        let serial: UInt64
        let client: IPAddress?
        var input: [UInt8] = []
        var output: [UInt8] = []
        var lastActivity: Double
    }

    private let listenFD: Int32
    private let context: ListenerContext
    private let limits: Limits
    private var connections: [Int32: Connection] = [:]
    private var nextSerial: UInt64 = 0
    private let outbox: StreamOutbox

    init(fd: Int32, context: ListenerContext, limits: Limits = Limits()) {
        listenFD = fd
        self.context = context
        self.limits = limits
        outbox = StreamOutbox()
        Socket.setNonBlocking(fd)
    }

    func run() {
        var state = ListenerState(context: context)
        var chunk = [UInt8](repeating: 0, count: 65536)
        var reply = [UInt8](repeating: 0, count: DNSResponder.maxResponseSize)
        while true {
            state.tick()
            var fds = [pollfd(fd: outbox.wakeFD, events: Int16(POLLIN), revents: 0)]
            if connections.count < limits.maxConnections {
                fds.append(pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0))
            }
            for (fd, connection) in connections {
                var events = connection.output.count < limits.maxPendingOutput ? Int16(POLLIN) : 0
                if !connection.output.isEmpty { events |= Int16(POLLOUT) }
                fds.append(pollfd(fd: fd, events: events, revents: 0))
            }
            let ready = poll(&fds, nfds_t(fds.count), 1000)
            if ready < 0, errno != EINTR { return }
            let now = monotonicSeconds()
            for entry in fds where entry.revents != 0 {
                if entry.fd == outbox.wakeFD {
                    deliverFromOutbox(now: now)
                    continue
                }
                if entry.fd == listenFD {
                    acceptConnections(now: now)
                    continue
                }
                if entry.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    readFrom(entry.fd, chunk: &chunk, reply: &reply, now: now, state: &state)
                }
                if entry.revents & Int16(POLLOUT) != 0 { flush(entry.fd) }
            }
            for (fd, connection) in connections where now - connection.lastActivity > limits.idleSeconds {
                closeConnection(fd)
            }
        }
    }

    private func acceptConnections(now: Double) {
        while connections.count < limits.maxConnections {
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listenFD, $0, &length) }
            }
            guard fd >= 0 else { return }
            Socket.setNonBlocking(fd)
            nextSerial += 1
            connections[fd] = Connection(
                serial: nextSerial,
                client: withUnsafeBytes(of: &peer) { IPAddress(socketAddress: $0.baseAddress!) },
                lastActivity: now)
        }
    }

    private func readFrom(
        _ fd: Int32, chunk: inout [UInt8], reply: inout [UInt8], now: Double,
        state: inout ListenerState
    ) {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) {
            closeConnection(fd)
            return
        }
        guard count > 0, var connection = connections[fd] else { return }
        connection.input += chunk[0..<count]
        connection.lastActivity = now
        var consumed = 0
        while connection.input.count - consumed >= 2 {
            let length = Int(connection.input[consumed]) << 8 | Int(connection.input[consumed + 1])
            guard connection.input.count - consumed - 2 >= length else { break }
            let start = consumed + 2
            consumed = start + length
            let replyLength = connection.input.withUnsafeBytes { input in
                reply.withUnsafeMutableBytes { out in
                    state.respond(
                        to: UnsafeRawBufferPointer(rebasing: input[start..<start + length]),
                        from: connection.client, transport: .tcp(keepaliveTimeout: limits.keepaliveTimeout),
                        into: out,
                        elsewhere: { [outbox, serial = connection.serial] in
                            { outbox.post(fd: fd, serial: serial, reply: $0) }
                        })
                }
            }
            if let replyLength { Self.frame(reply[0..<replyLength], onto: &connection.output) }
        }
        connection.input.removeFirst(consumed)
        connections[fd] = connection
        flush(fd)
    }

    private static func frame(_ message: ArraySlice<UInt8>, onto output: inout [UInt8]) {
        output += [UInt8(message.count >> 8), UInt8(message.count & 0xff)]
        output += message
    }

    /// Replies the status desk made; those for connections closed meanwhile are dropped.
    private func deliverFromOutbox(now: Double) {
        for (fd, serial, reply) in outbox.take() {
            guard var connection = connections[fd], connection.serial == serial else { continue }
            Self.frame(reply[...], onto: &connection.output)
            connection.lastActivity = now
            connections[fd] = connection
            flush(fd)
        }
    }

    private func flush(_ fd: Int32) {
        guard var connection = connections[fd], !connection.output.isEmpty else { return }
        let written = connection.output.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if written < 0 {
            if errno != EAGAIN, errno != EINTR { closeConnection(fd) }
            return
        }
        connection.output.removeFirst(written)
        connections[fd] = connection
    }

    private func closeConnection(_ fd: Int32) {
        connections[fd] = nil
        close(fd)
    }
}
