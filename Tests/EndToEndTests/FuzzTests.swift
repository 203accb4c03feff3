import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What must hold for every reply to a fuzz packet.
enum ReplyCheck {
    /// The rcodes the server may send: NOERROR, FORMERR, NXDOMAIN, NOTIMP, REFUSED, BADVERS.
    static let allowedRCodes: Set<Int> = [0, 1, 3, 4, 5, 16]

    /// Nil when `reply` is an acceptable reply to `query`.
    static func problem(reply: [UInt8], query: [UInt8], overTCP: Bool) -> String? {
        let message: DNSMessage
        do {
            message = try DNSMessage(reply)
        } catch {
            return "malformed reply (\(error)): \(hex(reply))"
        }
        let queryOpcode = Int(query[2] >> 3 & 0x0f)
        if !message.qr { return "QR clear in the reply" }
        if message.ra { return "RA set" }
        if message.opcode != queryOpcode { return "opcode \(message.opcode), query had \(queryOpcode)" }
        if message.rd != (query[2] & 0x01 != 0) { return "RD not copied" }
        if !allowedRCodes.contains(message.rcode) { return "unexpected rcode \(message.rcode)" }
        if queryOpcode != 0, message.rcode != RCode.notImp { return "opcode \(queryOpcode) answered \(message.rcode)" }
        if overTCP, message.tc { return "TC set over TCP" }
        if !overTCP, reply.count > 1232 { return "\(reply.count)-byte UDP reply" }
        if message.questions.count > 1 { return "\(message.questions.count) questions in the reply" }
        return nil
    }

    static func hex(_ bytes: [UInt8], limit: Int = 80) -> String {
        bytes.prefix(limit).map { String(format: "%02x", $0) }.joined()
            + (bytes.count > limit ? "…(\(bytes.count))" : "")
    }
}

/// Tallies of one fuzz phase.
struct FuzzReport {
    var sent = 0
    var expectedReplies = 0
    var replies = 0
    var missing: [String] = []
    var problems: [String] = []
    var sendErrors = 0
    var rcodes: [Int: Int] = [:]

    mutating func add(_ other: FuzzReport) {
        sent += other.sent
        expectedReplies += other.expectedReplies
        replies += other.replies
        missing += other.missing
        problems += other.problems
        sendErrors += other.sendErrors
        rcodes.merge(other.rcodes, uniquingKeysWith: +)
    }

    var summary: String {
        "sent \(sent), replies expected \(expectedReplies), received \(replies), missing \(missing.count), "
            + "problems \(problems.count), send errors \(sendErrors), rcodes \(rcodes.sorted { $0.key < $1.key })"
    }
}

/// Matches replies to packets by ID (each packet in a batch has its own) and checks each reply.
struct ReplyLedger {
    private var sent: [UInt16: FuzzPacket] = [:]
    private(set) var awaiting: Set<UInt16> = []
    private var late: Set<UInt16> = []
    private var answered: Set<UInt16> = []
    var report = FuzzReport()
    let overTCP: Bool

    init(overTCP: Bool) { self.overTCP = overTCP }

    mutating func record(_ packet: FuzzPacket, id: UInt16) {
        report.sent += 1
        if packet.bytes.count >= 2 { sent[id] = packet }
        if packet.expectsReply {
            awaiting.insert(id)
            report.expectedReplies += 1
        }
    }

    /// Replies not yet received are moved aside (they count as missing unless they still come).
    mutating func giveUpWaiting() {
        late.formUnion(awaiting)
        awaiting.removeAll()
    }

    mutating func handle(_ reply: [UInt8]) {
        guard reply.count >= 2 else {
            report.problems.append("a \(reply.count)-byte reply")
            return
        }
        let id = UInt16(reply[0]) << 8 | UInt16(reply[1])
        guard let packet = sent[id] else {
            report.problems.append("a reply with an ID never sent: \(ReplyCheck.hex(reply))")
            return
        }
        guard awaiting.remove(id) != nil || late.remove(id) != nil else {
            report.problems.append(
                answered.contains(id)
                    ? "two replies to one \(packet.kind) packet \(ReplyCheck.hex(packet.bytes))"
                    : "a reply to a \(packet.kind) packet that must be dropped: \(ReplyCheck.hex(packet.bytes)) → "
                        + ReplyCheck.hex(reply))
            return
        }
        answered.insert(id)
        report.replies += 1
        if reply.count >= 4 { report.rcodes[Int(reply[3] & 0x0f), default: 0] += 1 }
        if let problem = ReplyCheck.problem(reply: reply, query: packet.bytes, overTCP: overTCP) {
            report.problems.append("\(packet.kind) packet \(ReplyCheck.hex(packet.bytes)): \(problem)")
        }
    }

    mutating func finish() -> FuzzReport {
        for id in awaiting.union(late).sorted() {
            if let packet = sent[id] { report.missing.append("\(packet.kind) \(ReplyCheck.hex(packet.bytes))") }
        }
        return report
    }
}

/// Random and mutated packets over UDP and TCP: the server must answer every query that has a header and QR clear
/// with a well-formed reply, drop the rest, and keep serving correctly throughout.
@Suite("bad input")
struct FuzzTests {
    static let udpPacketCount = 8000
    static let udpBurst = 200
    static let tcpConnections = 12
    static let tcpFramesPerConnection = 200

    /// `EDGETM_FUZZ_SEED` to replay a run, else a new random seed.
    static func seed() -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["EDGETM_FUZZ_SEED"], let seed = UInt64(text) { return seed }
        return UInt64.random(in: 0...UInt64.max)
    }

    @Test("10,000+ random and mutated packets over UDP and TCP; the server keeps answering correctly")
    func fuzz() throws {
        let seed = Self.seed()
        print("edgetm fuzz seed: \(seed) (replay with EDGETM_FUZZ_SEED=\(seed))")
        let config = try TestConfig.standard()
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            var fuzzer = PacketFuzzer(seed: seed)
            let started = Date()

            // UDP, in bursts, with a health check after each.
            var udp = FuzzReport()
            let udpPackets = fuzzer.corpus(count: Self.udpPacketCount)
            let kinds = Dictionary(grouping: udpPackets, by: \.kind).mapValues(\.count).sorted { $0.key < $1.key }
            print("edgetm fuzz UDP corpus: \(kinds.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
            for (burst, start) in stride(from: 0, to: udpPackets.count, by: Self.udpBurst).enumerated() {
                let batch = udpPackets[start..<min(start + Self.udpBurst, udpPackets.count)]
                udp.add(try Self.sendUDP(batch, to: server))
                let problem = server.normalQueryProblemUDP(id: UInt16(0x8000 + burst), timeout: 2)
                try #require(
                    problem == nil && server.isRunning,
                    "after UDP burst \(burst) (seed \(seed)): \(problem ?? "not running"); log:\n\(server.log)")
            }
            print("edgetm fuzz UDP: \(udp.summary)")

            // TCP: framed malformed messages on several connections.
            var tcp = FuzzReport()
            let tcpPackets = fuzzer.corpus(count: Self.tcpConnections * Self.tcpFramesPerConnection)
            for connection in 0..<Self.tcpConnections {
                let start = connection * Self.tcpFramesPerConnection
                tcp.add(try Self.sendTCP(tcpPackets[start..<start + Self.tcpFramesPerConnection], to: server))
                let problem = server.normalQueryProblemTCP(id: UInt16(0x9000 + connection))
                try #require(
                    problem == nil && server.isRunning,
                    "after TCP connection \(connection) (seed \(seed)): \(problem ?? "not running")")
            }
            // One frame of the largest size: 65535 bytes of garbage behind a header that asks for a reply.
            var giant = fuzzer.bytes(65535)
            giant[2] &= 0x07
            tcp.add(try Self.sendTCP([FuzzPacket(bytes: giant, kind: "65535-byte frame")], to: server))
            print("edgetm fuzz TCP: \(tcp.summary)")

            // TCP connections abused below the framing.
            let abuse = try Self.abuseTCP(server, fuzzer: &fuzzer, seed: seed)

            #expect(
                udp.problems.isEmpty,
                "seed \(seed): \(udp.problems.count) bad UDP replies, first: \(udp.problems.prefix(10).joined(separator: "\n"))"
            )
            #expect(
                udp.missing.isEmpty,
                "seed \(seed): \(udp.missing.count) UDP queries unanswered, first: \(udp.missing.prefix(10).joined(separator: "\n"))"
            )
            #expect(
                tcp.problems.isEmpty,
                "seed \(seed): \(tcp.problems.count) bad TCP replies, first: \(tcp.problems.prefix(10).joined(separator: "\n"))"
            )
            #expect(
                tcp.missing.isEmpty,
                "seed \(seed): \(tcp.missing.count) TCP queries unanswered, first: \(tcp.missing.prefix(10).joined(separator: "\n"))"
            )
            #expect(udp.sendErrors == 0 && tcp.sendErrors == 0, "seed \(seed)")
            #expect(udp.replies > 0 && tcp.replies > 0)
            #expect(udp.sent + tcp.sent >= 10_000, "\(udp.sent) UDP + \(tcp.sent) TCP packets")

            // Still the same process, still answering correctly over both transports.
            #expect(server.isRunning, "the server died; log:\n\(server.log)")
            #expect(server.normalQueryProblemUDP(id: 0xaaaa) == nil, "seed \(seed)")
            #expect(server.normalQueryProblemTCP(id: 0xbbbb) == nil, "seed \(seed)")
            print(
                "edgetm fuzz: seed \(seed), \(udp.sent) UDP packets + \(tcp.sent) TCP frames + \(abuse) abusive TCP "
                    + "connections = \(udp.sent + tcp.sent) packets in \(String(format: "%.1f", Date().timeIntervalSince(started))) s"
            )
        }
    }

    /// Sends a burst on a fresh socket, keeping at most 16 replies outstanding so that no socket buffer overflows,
    /// and collects every reply.
    static func sendUDP(_ packets: ArraySlice<FuzzPacket>, to server: ServerProcess) throws -> FuzzReport {
        let client = try server.udpClient()
        var ledger = ReplyLedger(overTCP: false)
        for (offset, original) in packets.enumerated() {
            let id = UInt16(offset)
            let packet = original.withID(id)
            ledger.record(packet, id: id)
            if !client.send(packet.bytes) { ledger.report.sendErrors += 1 }
            while let reply = client.receive(timeout: 0) { ledger.handle(reply) }
            while ledger.awaiting.count >= 16 {
                guard let reply = client.receive(timeout: 2) else {
                    ledger.giveUpWaiting()
                    break
                }
                ledger.handle(reply)
            }
        }
        while !ledger.awaiting.isEmpty, let reply = client.receive(timeout: 2) { ledger.handle(reply) }
        // Replies to packets that must be dropped would come now.
        while let reply = client.receive(timeout: 0.05) { ledger.handle(reply) }
        return ledger.finish()
    }

    /// Sends the packets framed, in one stream on one connection, and collects the framed replies.
    static func sendTCP(_ packets: some Collection<FuzzPacket>, to server: ServerProcess) throws -> FuzzReport {
        let client = try server.tcpClient()
        defer { client.close() }
        var ledger = ReplyLedger(overTCP: true)
        var stream: [UInt8] = []
        for (offset, original) in packets.enumerated() {
            let id = UInt16(offset)
            let packet = original.withID(id)
            ledger.record(packet, id: id)
            stream += TCPClient.frame(packet.bytes)
        }
        do {
            try client.sendRaw(stream)
        } catch {
            ledger.report.sendErrors += 1
        }
        while !ledger.awaiting.isEmpty, let reply = client.receiveFramed(timeout: 3) { ledger.handle(reply) }
        while let reply = client.receiveFramed(timeout: 0.05) { ledger.handle(reply) }
        return ledger.finish()
    }

    /// Unframed garbage, length prefixes longer than the data, zero lengths, half frames left open; after each,
    /// a fresh connection must be answered. Returns how many connections were abused.
    static func abuseTCP(_ server: ServerProcess, fuzzer: inout PacketFuzzer, seed: UInt64) throws -> Int {
        var abused = 0
        func check(_ what: String) throws {
            let problem = server.normalQueryProblemTCP(id: UInt16(0xc000 + abused))
            try #require(
                problem == nil && server.isRunning,
                "after \(what) (seed \(seed)): \(problem ?? "not running"); log:\n\(server.log)")
        }
        // Unframed garbage, then close.
        for _ in 0..<10 {
            let client = try server.tcpClient()
            try? client.sendRaw(fuzzer.bytes(fuzzer.int(1...600)))
            _ = client.receiveFramed(timeout: 0.02)
            client.close()
            abused += 1
            try check("unframed garbage")
        }
        // A length prefix larger than the data, then close.
        for length in [13, 100, 512, 4096, 65535] {
            let client = try server.tcpClient()
            try? client.sendRaw(DNSWire.u16(UInt16(length)) + NormalQuery.make(id: 1).prefix(12))
            client.close()
            abused += 1
            try check("a \(length)-byte length prefix with 12 bytes behind it")
        }
        // Zero-length frames, alone and before a query.
        for extra in [[UInt8](), NormalQuery.make(id: 2)] {
            let client = try server.tcpClient()
            try? client.sendRaw([0, 0, 0, 0, 0, 0] + (extra.isEmpty ? [] : TCPClient.frame(extra)))
            _ = client.receiveFramed(timeout: 0.2)
            client.close()
            abused += 1
            try check("zero-length frames")
        }
        // A single byte, and nothing at all.
        for bytes in [[UInt8(0x00)], [UInt8(0xff)], []] {
            let client = try server.tcpClient()
            if !bytes.isEmpty { try? client.sendRaw(bytes) }
            client.close()
            abused += 1
            try check("a connection closed after \(bytes.count) bytes")
        }
        // 40 connections left open in the middle of a frame must not stop the others from being served. They come
        // from 10 addresses, 4 each, under the per-source limit (8), which would otherwise close most of them.
        var open: [TCPClient] = []
        for index in 0..<40 {
            let client = try TCPClient(port: server.port, source: "127.0.1.\(index % 10 + 1)")
            try? client.sendRaw(Array(TCPClient.frame(NormalQuery.make(id: UInt16(index))).prefix(1 + index % 20)))
            open.append(client)
        }
        abused += open.count
        try check("40 connections holding half frames")
        #expect(server.normalQueryProblemUDP(id: 0xc0de) == nil, "UDP while TCP clients hold half frames")
        // Their frames completed late (well within the 2.5 s a message may take) are still answered.
        for (index, client) in open.enumerated() {
            let frame = TCPClient.frame(NormalQuery.make(id: UInt16(index)))
            try client.sendRaw(Array(frame.dropFirst(1 + index % 20)))
        }
        for (index, client) in open.enumerated() {
            #expect(
                NormalQuery.problem(with: client.receiveFramed(timeout: 2), id: UInt16(index)) == nil,
                "a frame completed late on connection \(index)")
            client.close()
        }
        try check("the half-frame connections closing")
        return abused
    }
}
