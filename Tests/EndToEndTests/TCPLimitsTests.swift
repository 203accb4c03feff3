import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What keeps one client from holding edgetm's TCP slots, tried as an attacker would: the per-source limit, the
/// deadline for a whole message, eviction of the longest-waiting connection when all 256 slots are taken, and the
/// idle timeout advertised with edns-tcp-keepalive. Each flood comes from many loopback addresses (127.0.0.0/8 is
/// all loopback), a few connections each, so that the per-source limit alone cannot stop it.
@Suite("TCP limits")
struct TCPLimitsTests {
    static func withServer(_ body: (ServerProcess) throws -> Void) throws {
        let config = try TestConfig.standard()
        defer { config.remove() }
        try ServerProcess.with(config: config.url, body)
    }

    /// Seconds for a fresh connection from 127.0.0.1 to be answered, or nil (with the problem) when it was not.
    static func timedTCPQuery(_ server: ServerProcess, id: UInt16) -> (seconds: Double, problem: String?) {
        let start = Date()
        let problem = server.normalQueryProblemTCP(id: id, timeout: 1)
        return (Date().timeIntervalSince(start), problem)
    }

    @Test("The ninth connection from one address is closed at once; another address still connects")
    func perSourceLimit() throws {
        try Self.withServer { server in
            let held = try (0..<8).map { _ in try TCPClient(port: server.port, source: "127.0.0.3") }
            for (index, client) in held.enumerated() {
                let id = UInt16(0x100 + index)
                #expect(NormalQuery.problem(with: try client.exchange(NormalQuery.make(id: id)), id: id) == nil)
            }
            let ninth = try TCPClient(port: server.port, source: "127.0.0.3")
            // The handshake completes in the kernel; the server closes the connection as soon as it accepts it.
            let reply = try? ninth.exchange(NormalQuery.make(id: 0x109), timeout: 2)
            #expect(reply == nil)
            #expect(ninth.peerClosed, "the ninth connection from 127.0.0.3 must be closed")
            let other = try TCPClient(port: server.port, source: "127.0.0.2")
            #expect(NormalQuery.problem(with: try other.exchange(NormalQuery.make(id: 0x10a)), id: 0x10a) == nil)
            // The count goes down when a connection ends: a slot of 127.0.0.3 is free again.
            held[0].close()
            usleep(200_000)
            let again = try TCPClient(port: server.port, source: "127.0.0.3")
            #expect(NormalQuery.problem(with: try again.exchange(NormalQuery.make(id: 0x10b)), id: 0x10b) == nil)
        }
    }

    @Test("A message trickling in (a byte every 2 s) is closed 2.5 s after its first byte; a prompt one is served")
    func slowSenderIsClosed() throws {
        try Self.withServer { server in
            let slow = try server.tcpClient()
            defer { slow.close() }
            let message = TCPClient.frame(NormalQuery.make(id: 0x201))
            let start = Date()
            try slow.sendRaw([message[0]])
            usleep(2_000_000)
            try slow.sendRaw([message[1]])
            // Each byte resets the idle timer (10 s); only the message deadline closes it.
            let reply = slow.receiveFramed(timeout: 5)
            let elapsed = Date().timeIntervalSince(start)
            #expect(reply == nil)
            #expect(slow.peerClosed, "a message arriving for over 2.5 s must be closed")
            #expect(elapsed > 2.2 && elapsed < 3.5, "closed after \(String(format: "%.2f", elapsed)) s")
            // The same message in two parts 1 s apart is within the deadline.
            let prompt = try server.tcpClient()
            defer { prompt.close() }
            try prompt.sendRaw(Array(message[0..<5]))
            usleep(1_000_000)
            try prompt.sendRaw(Array(message[5...]))
            #expect(NormalQuery.problem(with: prompt.receiveFramed(timeout: 2), id: 0x201) == nil)
        }
    }

    @Test("edns-tcp-keepalive: asked over TCP, the answer carries the 10 s idle timeout; never over UDP")
    func keepaliveIsAdvertised() throws {
        try Self.withServer { server in
            let overTCP = try server.dig(["+tcp", "+keepalive", NormalQuery.name, "A"])
            #expect(overTCP.transport == "TCP")
            #expect(overTCP.output.contains("; TCP KEEPALIVE: 10.0 secs"), "\(overTCP)")
            #expect(overTCP.answerData("A") == [NormalQuery.address])
            let overUDP = try server.dig(["+keepalive", NormalQuery.name, "A"])
            #expect(overUDP.transport == "UDP")
            #expect(!overUDP.output.contains("KEEPALIVE"), "\(overUDP)")
            let plainTCP = try server.dig(["+tcp", NormalQuery.name, "A"])
            #expect(!plainTCP.output.contains("KEEPALIVE"), "not asked: \(plainTCP)")
            // The option on the wire: code 11, length 2, 100 units of 100 ms, beside an ECS option.
            let ecs: [UInt8] = [0, 8, 0, 7, 0, 1, 24, 0, 198, 51, 100]
            let query = DNSWire.query(
                id: 0x301, name: NormalQuery.name, type: RRType.a, edns: EDNSSpec(options: [0, 11, 0, 0] + ecs))
            let tcp = try server.tcpClient()
            defer { tcp.close() }
            let reply = try DNSMessage(try #require(try tcp.exchange(query)))
            let options = try #require(reply.opt?.rdata)
            #expect(options.suffix(6) == [0, 11, 0, 2, 0, 100], "options \(options)")
            #expect(options.starts(with: [0, 8]), "ECS echoed first: \(options)")
        }
    }

    @Test("Floods of 260 slow senders and of 300 idle connections: a new client is served within 1 s, UDP too")
    func floodsLeaveRoomForOthers() throws {
        try raiseFileLimit()
        try Self.withServer { server in
            // Slowloris: one byte every 2 s on each connection, reconnecting whenever the server closes one.
            let slowloris = TCPFlood(port: server.port, connections: 260, network: 1, trickle: true)
            defer { slowloris.stop() }
            #expect(slowloris.waitUntilOpen(seconds: 10), "only \(slowloris.openCount) slow connections opened")
            var worst = 0.0
            let end = Date().addingTimeInterval(7)
            var id: UInt16 = 0x400
            while Date() < end {
                id += 1
                let (seconds, problem) = Self.timedTCPQuery(server, id: id)
                #expect(problem == nil, "TCP during the slowloris flood: \(problem ?? "")")
                worst = max(worst, seconds)
                #expect(server.normalQueryProblemUDP(id: id, timeout: 1) == nil, "UDP during the slowloris flood")
                usleep(250_000)
            }
            #expect(worst < 1, "worst TCP answer during the slowloris flood: \(worst) s")
            // Without a deadline these would hold their slots for ever (each byte resets the idle timer).
            #expect(slowloris.closedByServer >= 200, "the server closed \(slowloris.closedByServer) slow senders")
            slowloris.stop()

            let idle = TCPFlood(port: server.port, connections: 300, network: 2, trickle: false)
            defer { idle.stop() }
            #expect(idle.waitUntilOpen(seconds: 10), "only \(idle.openCount) idle connections opened")
            for attempt in 0..<8 {
                let (seconds, problem) = Self.timedTCPQuery(server, id: UInt16(0x500 + attempt))
                #expect(problem == nil && seconds < 1, "TCP during the idle flood: \(seconds) s, \(problem ?? "")")
                #expect(server.normalQueryProblemUDP(id: UInt16(0x500 + attempt), timeout: 1) == nil)
            }
            // 300 connections for 256 slots: the oldest idle ones made room, first for the flood's own last ones.
            #expect(idle.waitUntilClosed(44, seconds: 3), "the server closed \(idle.closedByServer) idle connections")
        }
    }

    /// The floods need several hundred descriptors in this process.
    func raiseFileLimit() throws {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { throw HarnessError("getrlimit failed") }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur >= 2048 else {
            throw HarnessError("the floods need 2048 descriptors; the limit is \(limit.rlim_cur)")
        }
    }
}

/// Many TCP connections to a server from 127.0.NETWORK.1-50 (at most 6 from each address, under the per-source
/// limit), held by one thread of their own. `trickle`: each sends a byte every 2 s of a message it never finishes,
/// and is replaced when the server closes it; otherwise they stay idle and are not replaced.
final class TCPFlood: @unchecked Sendable {
    // @unchecked: the sockets are the thread's alone; the counters are read under `lock`.
    private let lock = NSLock()
    private let connections: Int
    /// Connections made so far, replacements included.
    private var opened = 0
    private var closed = 0
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    var openCount: Int { lock.withLock { opened - closed } }
    /// Connections the server closed (found closed by a read).
    var closedByServer: Int { lock.withLock { closed } }

    init(port: UInt16, connections: Int, network: Int, trickle: Bool) {
        self.connections = connections
        Thread { [self] in
            run(port: port, connections: connections, network: network, trickle: trickle)
            finished.signal()
        }.start()
    }

    /// True once every connection has been made once (the server may have closed some since).
    func waitUntilOpen(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if lock.withLock({ opened >= connections }) { return true }
            usleep(50_000)
        }
        return false
    }

    /// True once the server has closed `count` of the connections.
    func waitUntilClosed(_ count: Int, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if closedByServer >= count { return true }
            usleep(50_000)
        }
        return false
    }

    /// Ends the flood and closes its connections; waits for the thread. Calling it again does nothing.
    func stop() {
        let first = lock.withLock {
            defer { stopping = true }
            return !stopping
        }
        if first { finished.wait() }
    }

    private func run(port: UInt16, connections: Int, network: Int, trickle: Bool) {
        let source = { (index: Int) in "127.0.\(network).\(index % 50 + 1)" }
        // The message each trickling connection sends a byte of at a time: a length prefix of 4096, then zeros.
        let message: [UInt8] = [0x10, 0x00] + [UInt8](repeating: 0, count: 4096)
        var clients: [(client: TCPClient, sent: Int, lastByte: Date)?] = []
        defer { for entry in clients { entry?.client.close() } }
        for index in 0..<connections {
            guard !lock.withLock({ stopping }) else { return }
            clients.append((try? TCPClient(port: port, source: source(index))).map { ($0, 0, .distantPast) })
            if clients[index] != nil { lock.withLock { opened += 1 } }
        }
        while !lock.withLock({ stopping }) {
            for index in clients.indices {
                guard var entry = clients[index] else { continue }
                if Self.isClosed(entry.client) {
                    entry.client.close()
                    lock.withLock { closed += 1 }
                    clients[index] = nil
                    guard trickle, let fresh = try? TCPClient(port: port, source: source(index)) else { continue }
                    lock.withLock { opened += 1 }
                    entry = (fresh, 0, .distantPast)
                }
                if trickle, Date().timeIntervalSince(entry.lastByte) >= 2, entry.sent < message.count {
                    if (try? entry.client.sendRaw([message[entry.sent]])) == nil { continue }
                    entry.sent += 1
                    entry.lastByte = Date()
                }
                clients[index] = entry
            }
            usleep(50_000)
        }
    }

    /// The server closed it: a read without waiting returns end of file or an error.
    private static func isClosed(_ client: TCPClient) -> Bool {
        var byte: UInt8 = 0
        let count = recv(client.fd, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    }
}
