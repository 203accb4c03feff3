import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Exact outcomes for particular packets, sent with the raw socket client.
@Suite("raw protocol")
struct RawProtocolTests {
    static func withServer(_ body: (ServerProcess) throws -> Void) throws {
        let config = try TestConfig.standard()
        defer { config.remove() }
        try ServerProcess.with(config: config.url, body)
    }

    @Test("A 12-byte header with QDCOUNT 0 gets FORMERR with the same ID, over UDP and TCP")
    func emptyQuestionIsFormErr() throws {
        try Self.withServer { server in
            let udp = try server.udpClient()
            let reply = try #require(udp.exchange(DNSWire.header(id: 0xbeef, flags: 0x0100, qd: 0), timeout: 2))
            let message = try DNSMessage(reply)
            #expect(message.id == 0xbeef)
            #expect(message.qr)
            #expect(message.opcode == 0)
            #expect(message.rcode == RCode.formErr, "\(message)")
            #expect(message.rd, "RD is copied even into FORMERR")
            #expect(!message.ra)
            #expect(message.questions.isEmpty && message.answers.isEmpty)

            let tcp = try server.tcpClient()
            defer { tcp.close() }
            let tcpReply = try #require(try tcp.exchange(DNSWire.header(id: 0xcafe, qd: 0)))
            let tcpMessage = try DNSMessage(tcpReply)
            #expect(tcpMessage.id == 0xcafe)
            #expect(tcpMessage.rcode == RCode.formErr)
        }
    }

    @Test("A packet with QR=1 gets no reply within 300 ms, over UDP and TCP")
    func responsesAreDropped() throws {
        try Self.withServer { server in
            let udp = try server.udpClient()
            udp.send(DNSWire.query(id: 0x0101, name: "app.tm.example", type: RRType.a, qr: true))
            #expect(udp.receive(timeout: 0.3) == nil, "a response must not be answered")
            // The socket and the server are fine: the next query is answered.
            #expect(NormalQuery.problem(with: udp.exchange(NormalQuery.make(id: 0x0102)), id: 0x0102) == nil)

            let tcp = try server.tcpClient()
            defer { tcp.close() }
            try tcp.sendFramed(DNSWire.query(id: 0x0103, name: "app.tm.example", type: RRType.a, qr: true))
            #expect(tcp.receiveFramed(timeout: 0.3) == nil, "a response must not be answered over TCP either")
            try tcp.sendFramed(NormalQuery.make(id: 0x0104))
            #expect(
                NormalQuery.problem(with: tcp.receiveFramed(timeout: 2), id: 0x0104) == nil,
                "the first reply on the connection is the next query's")
        }
    }

    @Test("Opcode STATUS (2), and every other non-QUERY opcode, gets NOTIMP with the same ID")
    func otherOpcodesAreNotImplemented() throws {
        try Self.withServer { server in
            let udp = try server.udpClient()
            let status = try #require(
                udp.exchange(
                    DNSWire.query(
                        id: 0x0202, name: "app.tm.example", type: RRType.a,
                        opcode: 2)))
            let message = try DNSMessage(status)
            #expect(message.id == 0x0202)
            #expect(message.qr)
            #expect(message.rcode == RCode.notImp, "\(message)")
            #expect(message.opcode == 2, "the opcode is copied")
            #expect(message.answers.isEmpty)

            for opcode in UInt8(1)...15 {
                let id = 0x0300 + UInt16(opcode)
                let reply = udp.exchange(DNSWire.query(id: id, name: "app.tm.example", type: RRType.a, opcode: opcode))
                let parsed = try #require(reply.flatMap { try? DNSMessage($0) }, "opcode \(opcode): no valid reply")
                #expect(parsed.rcode == RCode.notImp, "opcode \(opcode): \(parsed)")
                #expect(parsed.opcode == Int(opcode))
            }
        }
    }

    @Test("Two OPT records, an OPT not owned by the root or outside the additional section, a forward pointer: FORMERR")
    func strictEDNSAndPointers() throws {
        let question = DNSWire.name("app.tm.example") + DNSWire.u16(RRType.a) + DNSWire.u16(RRClass.internet)
        let opt = EDNSSpec().bytes
        let withECS = EDNSSpec(options: [0, 8, 0, 7, 0, 1, 24, 0, 198, 51, 100]).bytes
        let withDO = EDNSSpec(dnssecOK: true).bytes
        let malformed: [(String, [UInt8])] = [
            ("two OPT records", DNSWire.header(id: 0x0a01, ar: 2) + question + withECS + withDO),
            (
                "an OPT owned by app.",
                DNSWire.header(id: 0x0a02, ar: 1) + question + DNSWire.name("app") + opt.dropFirst()
            ),
            ("an OPT in the answer section", DNSWire.header(id: 0x0a03, an: 1) + question + opt),
            ("an OPT in the authority section", DNSWire.header(id: 0x0a04, ns: 1) + question + opt),
            // The question is a pointer to the name after it, which ldns alone would follow.
            (
                "a forward pointer in the question",
                DNSWire.header(id: 0x0a05) + [0xc0, 18] + Array(question.suffix(4)) + DNSWire.name("app.tm.example")
            ),
        ]
        try Self.withServer { server in
            let udp = try server.udpClient()
            let tcp = try server.tcpClient()
            defer { tcp.close() }
            for (label, packet) in malformed {
                let udpReply = try DNSMessage(try #require(udp.exchange(packet), "\(label): no UDP reply"))
                #expect(udpReply.rcode == RCode.formErr, "\(label) over UDP: \(udpReply)")
                #expect(udpReply.id == UInt16(packet[0]) << 8 | UInt16(packet[1]))
                #expect(udpReply.answers.isEmpty)
                let tcpReply = try DNSMessage(try #require(try tcp.exchange(packet), "\(label): no TCP reply"))
                #expect(tcpReply.rcode == RCode.formErr, "\(label) over TCP: \(tcpReply)")
            }
            // The same question with one OPT record, compressed names after it, is answered.
            let legal =
                DNSWire.header(id: 0x0a06, ar: 2) + question + [0xc0, 12] + DNSWire.u16(RRType.a)
                + DNSWire.u16(RRClass.internet) + [0, 0, 0, 30, 0, 4, 192, 0, 2, 1] + withDO
            let answered = try DNSMessage(try #require(udp.exchange(legal), "no reply to the legal query"))
            #expect(answered.rcode == RCode.noError, "\(answered)")
            #expect(answered.answers.first?.address == "127.0.0.11")
        }
    }

    @Test("Packets shorter than a 12-byte header get no reply")
    func shortPacketsAreDropped() throws {
        try Self.withServer { server in
            let udp = try server.udpClient()
            for length in [0, 1, 2, 11] {
                udp.send(Array(NormalQuery.make(id: 0x0404).prefix(length)))
                #expect(udp.receive(timeout: 0.3) == nil, "\(length)-byte packet answered")
            }
            #expect(NormalQuery.problem(with: udp.exchange(NormalQuery.make(id: 0x0405)), id: 0x0405) == nil)
        }
    }

    @Test("TCP: several queries per connection, pipelined in one write, and one written byte by byte")
    func tcpFraming() throws {
        try Self.withServer { server in
            let tcp = try server.tcpClient()
            defer { tcp.close() }
            // Sequential queries on one connection.
            for id in UInt16(1)...10 {
                #expect(NormalQuery.problem(with: try tcp.exchange(NormalQuery.make(id: id)), id: id) == nil)
            }
            // Three pipelined queries in a single write.
            let ids: [UInt16] = [0x51, 0x52, 0x53]
            try tcp.sendRaw(ids.flatMap { TCPClient.frame(NormalQuery.make(id: $0)) })
            var replies: [UInt16: [UInt8]] = [:]
            for _ in ids {
                guard let reply = tcp.receiveFramed(timeout: 2), reply.count >= 2 else { break }
                replies[UInt16(reply[0]) << 8 | UInt16(reply[1])] = reply
            }
            for id in ids {
                #expect(NormalQuery.problem(with: replies[id], id: id) == nil, "pipelined query \(id)")
            }
            // One query, length prefix included, a byte at a time.
            for byte in TCPClient.frame(NormalQuery.make(id: 0x61)) {
                try tcp.sendRaw([byte])
                usleep(3_000)
            }
            #expect(NormalQuery.problem(with: tcp.receiveFramed(timeout: 2), id: 0x61) == nil)
            // Other questions over the same connection.
            let nx = try DNSMessage(
                try #require(
                    try tcp.exchange(
                        DNSWire.query(
                            id: 0x62, name: "nope.tm.example",
                            type: RRType.a))))
            #expect(nx.rcode == RCode.nxDomain)
            #expect(nx.aa)
            #expect(nx.authority.first?.type == RRType.soa)
            #expect(nx.authority.first?.ttl == 30)
        }
    }

    @Test("A profile's status, made off the listener threads, comes back with its ID over UDP and TCP")
    func profileStatusFromTheStatusDesk() throws {
        try Self.withServer { server in
            let status = { (id: UInt16) in
                DNSWire.query(id: id, name: "app.tm.example", type: RRType.txt, dnsClass: RRClass.chaos)
            }
            func check(_ reply: [UInt8]?, id: UInt16) throws {
                let message = try DNSMessage(try #require(reply, "no status reply for \(id)"))
                #expect(message.id == id)
                #expect(message.rcode == RCode.noError)
                #expect(message.answers.count >= 3, "summary and one line per endpoint")
                #expect(message.answers.allSatisfy { $0.type == RRType.txt && $0.dnsClass == RRClass.chaos })
            }
            let udp = try server.udpClient()
            for id in UInt16(0x71)...0x73 { try check(udp.exchange(status(id)), id: id) }
            // Pipelined behind an ordinary query on one connection: both come back, in either order
            // (RFC 7766 lets the status answer overtake or follow the other).
            let tcp = try server.tcpClient()
            defer { tcp.close() }
            try tcp.sendRaw(TCPClient.frame(status(0x81)) + TCPClient.frame(NormalQuery.make(id: 0x82)))
            var replies: [UInt16: [UInt8]] = [:]
            for _ in 0..<2 {
                guard let reply = tcp.receiveFramed(timeout: 2), reply.count >= 2 else { break }
                replies[UInt16(reply[0]) << 8 | UInt16(reply[1])] = reply
            }
            try check(replies[0x81], id: 0x81)
            #expect(NormalQuery.problem(with: replies[0x82], id: 0x82) == nil)
            // The connection stays usable after a reply from the desk.
            try check(try tcp.exchange(status(0x83)), id: 0x83)
        }
    }

    @Test("TCP: an idle connection is closed after about 10 s")
    func tcpIdleTimeout() throws {
        try Self.withServer { server in
            let tcp = try server.tcpClient()
            defer { tcp.close() }
            #expect(NormalQuery.problem(with: try tcp.exchange(NormalQuery.make(id: 0x71)), id: 0x71) == nil)
            let start = Date()
            let extra = tcp.receiveFramed(timeout: 20)
            let elapsed = Date().timeIntervalSince(start)
            #expect(extra == nil)
            #expect(tcp.peerClosed, "the server must close a connection idle for 10 s")
            #expect(elapsed > 8 && elapsed < 15, "closed after \(String(format: "%.1f", elapsed)) s")
            #expect(server.normalQueryProblemTCP() == nil, "new connections are still served")
        }
    }

    @Test("UDP: the reply mirrors ID, question (with its case) and RD, for many IDs")
    func udpMirrorsQuery() throws {
        try Self.withServer { server in
            let udp = try server.udpClient()
            for (index, id) in [UInt16(0), 1, 0x7fff, 0x8000, 0xffff].enumerated() {
                let query = DNSWire.query(
                    id: id, name: "aPp.tM.eXaMpLe", type: RRType.a, recursionDesired: index % 2 == 0)
                let message = try DNSMessage(try #require(udp.exchange(query), "id \(id)"))
                #expect(message.id == id)
                #expect(message.rd == (index % 2 == 0))
                #expect(
                    message.questions == [
                        DNSMessage.Question(
                            name: "aPp.tM.eXaMpLe.", type: RRType.a,
                            dnsClass: RRClass.internet)
                    ])
                #expect(message.answers.first?.name == "aPp.tM.eXaMpLe.")
                #expect(message.answers.first?.address == "127.0.0.11")
            }
        }
    }
}
