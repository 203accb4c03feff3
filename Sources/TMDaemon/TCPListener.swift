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
///
/// No client can hold the slots: a source (an IPv4 address, an IPv6 /64) has a few connections at most, a message
/// must arrive whole within a deadline once its first byte has (so a client trickling bytes is closed, though each
/// byte would reset the idle timer), and when every slot is taken a new connection is admitted by closing the one
/// that has gone longest without a whole message: an idle one (RFC 7766 §6.2.3 lets a server close those) or a
/// slow sender, never the newcomer, which a flood of either kind would otherwise keep out.
final class TCPListener: ListenerLoop, @unchecked Sendable {
    // @unchecked: after init, all state is touched only by the listener's own thread.
    struct Limits {
        /// How long a connection may wait between messages; advertised with edns-tcp-keepalive (RFC 7828).
        var idleSeconds = 10.0
        /// How long a message may take to arrive whole once its first byte (of the length prefix) has.
        var messageSeconds = 2.5
        var maxConnections = 256
        /// Per IPv4 address or IPv6 /64: more from one source are closed at once.
        var maxConnectionsPerSource = 8
        /// Stop reading from a client that does not read its answers.
        var maxPendingOutput = 256 * 1024

        /// The idle timeout in edns-tcp-keepalive's units of 100 ms.
        var keepaliveTimeout: UInt16 { UInt16(clamping: Int((idleSeconds * 10).rounded())) }
    }

    private struct Connection {
        /// Tells a connection from a later one that reuses its descriptor, for replies that come back late.
        let serial: UInt64
        let client: IPAddress?
        /// What the per-source limit counts under.
        let source: IPAddress?
        var input: [UInt8] = []
        var output: [UInt8] = []
        /// When bytes last came or went: the idle timeout counts from here.
        var lastActivity: Double
        /// When the connection was accepted or last delivered a whole message: the one with the oldest is closed
        /// to make room.
        var lastMessage: Double
        /// When the first byte of the message now arriving came; nil between messages.
        var messageStart: Double?
    }

    private let listenFD: Int32
    private let context: ListenerContext
    private let limits: Limits
    private var connections: [Int32: Connection] = [:]
    private var connectionsPerSource: [IPAddress: Int] = [:]
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
        var fds: [pollfd] = []
        while true {
            state.tick()
            // The listening socket is always polled: a full table makes room by closing a connection.
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: outbox.wakeFD, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0))
            var nextDeadline = monotonicSeconds() + 1
            for (fd, connection) in connections {
                var events = connection.output.count < limits.maxPendingOutput ? Int16(POLLIN) : 0
                if !connection.output.isEmpty { events |= Int16(POLLOUT) }
                fds.append(pollfd(fd: fd, events: events, revents: 0))
                nextDeadline = min(nextDeadline, deadline(of: connection))
            }
            // Woken for the nearest deadline, so that a slow message is closed on time, not up to a second late.
            let wait = Int32(max(10, min(1000, (nextDeadline - monotonicSeconds()) * 1000 + 1)))
            let ready = poll(&fds, nfds_t(fds.count), wait)
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
            for (fd, connection) in connections where now >= deadline(of: connection) {
                closeConnection(fd)
            }
        }
    }

    /// When the connection is closed unless it makes progress: its message's deadline while one is arriving, its
    /// idle timeout otherwise.
    private func deadline(of connection: Connection) -> Double {
        if let start = connection.messageStart {
            return min(start + limits.messageSeconds, connection.lastActivity + limits.idleSeconds)
        }
        return connection.lastActivity + limits.idleSeconds
    }

    /// The per-source limit's key: the address for IPv4, the /64 for IPv6 (one host's usual allocation). The
    /// listening sockets are IPv6-only, so an IPv4 client never arrives as a mapped IPv6 address.
    private static func source(of client: IPAddress?) -> IPAddress? {
        guard let client else { return nil }
        if case .v6 = client { return client.truncated(to: 64) }
        return client
    }

    private func acceptConnections(now: Double) {
        // Bounded, so that a connection storm cannot keep the loop from serving the connections it has.
        for _ in 0..<limits.maxConnections {
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listenFD, $0, &length) }
            }
            guard fd >= 0 else { return }
            let client = withUnsafeBytes(of: &peer) { IPAddress(socketAddress: $0.baseAddress!) }
            let source = Self.source(of: client)
            if let source, connectionsPerSource[source, default: 0] >= limits.maxConnectionsPerSource {
                close(fd)
                continue
            }
            if connections.count >= limits.maxConnections, let victim = longestWithoutMessage() {
                closeConnection(victim)
            }
            Socket.setNonBlocking(fd)
            nextSerial += 1
            connections[fd] = Connection(
                serial: nextSerial, client: client, source: source, lastActivity: now, lastMessage: now)
            if let source { connectionsPerSource[source, default: 0] += 1 }
        }
    }

    /// The connection to close for a new one: the one that has gone longest since it was accepted or sent a
    /// whole message. A client that is served waits little between messages; a slow sender, an idle one, or one
    /// that never sends, waits long.
    private func longestWithoutMessage() -> Int32? {
        connections.min { $0.value.lastMessage < $1.value.lastMessage }?.key
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
        if connection.input.isEmpty { connection.messageStart = now }
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
            // The bytes after a whole message begin the next one now.
            connection.messageStart = now
            connection.lastMessage = now
        }
        connection.input.removeFirst(consumed)
        if connection.input.isEmpty { connection.messageStart = nil }
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
        guard let connection = connections.removeValue(forKey: fd) else { return }
        if let source = connection.source {
            let remaining = connectionsPerSource[source, default: 1] - 1
            connectionsPerSource[source] = remaining > 0 ? remaining : nil
        }
        close(fd)
    }
}
