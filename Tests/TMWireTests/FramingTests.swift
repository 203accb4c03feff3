import TMWire
import Testing

/// Header flags, EDNS, truncation and malformed input.
struct FramingTests {
    static let table = TestZone.table()

    func respond(_ query: [UInt8], _ table: AnswerTable = Self.table, transport: Transport = .udp) -> [UInt8]? {
        TestZone.respond(query, table, transport: transport)
    }

    @Test func idFlagsAndQuestionCaseAreKept() throws {
        let query = QueryBuilder.make("V4.Tm.EXAMPLE", type: 1, id: 0x4242, rd: true, cd: true)
        let response = try #require(TestZone.ask(Self.table, query))
        #expect(Array(response.bytes[0..<2]) == [0x42, 0x42])
        #expect(response.rd && response.cd && response.aa && !response.ra && !response.tc)
        #expect(response.question.hasPrefix("V4.Tm.EXAMPLE.\tIN\tA"))
        // The answer's owner is compressed to the question, so it carries the client's case too.
        #expect(response.answer == ["V4.Tm.EXAMPLE.\t30\tIN\tA\t127.0.0.11"])
    }

    @Test func ednsIsEchoedWithOurSizeAndDO() throws {
        let plain = try #require(TestZone.ask(Self.table, QueryBuilder.make("v4.tm.example", type: 1)))
        #expect(plain.ednsSize == nil)
        let query = QueryBuilder.make("v4.tm.example", type: 1, edns: .init(size: 4096, dnssecOK: true))
        let response = try #require(respond(query))
        #expect(ParsedResponse(response)?.ednsSize == 1232)
        // The OPT record is last: its TTL field carries extended RCODE, version and the DO bit.
        #expect(Array(response.suffix(11)) == [0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0])
    }

    /// The SOA of a negative answer is compressed against the question, whatever its length and case: owner, MNAME
    /// and RNAME end in pointers to the apex inside the question name.
    @Test(arguments: [
        "tm.example", "x.tm.example", "Deep.Er.Name.TM.Example", String(repeating: "a", count: 63) + ".tm.example",
    ])
    func negativeAnswersAreCompressedBehindAnyName(_ name: String) throws {
        let query = QueryBuilder.make(name, type: 1)
        let bytes = try #require(respond(query))
        let response = try #require(ParsedResponse(bytes))
        let apex = String(name.suffix("tm.example".count))
        #expect(
            response.authority.map { $0.split(separator: "\t").dropFirst(1).joined(separator: "\t") }
                == ["30\tIN\tSOA\tns1.\(apex). hostmaster.\(apex). 2026112701 3600 600 86400 30"])
        #expect(response.authority.first?.hasPrefix("\(apex).\t") == true)
        let questionLength = query.count - 12
        // Owner: a pointer (2); type, class, TTL, length (10); "ns1" + pointer (6); "hostmaster" + pointer (13); 20.
        #expect(bytes.count == 12 + questionLength + 2 + 10 + 6 + 13 + 20)
    }

    /// RFC 7828: the idle timeout goes back only over TCP and only when asked, after any ECS option.
    static let keepaliveCases: [(label: String, options: [UInt8], transport: Transport, expected: [UInt8])] = [
        ("asked over TCP", [0, 11, 0, 0], .tcp(keepaliveTimeout: 100), [0, 6, 0, 11, 0, 2, 0, 100]),
        ("asked over TCP, 25.5 s", [0, 11, 0, 0], .tcp(keepaliveTimeout: 255), [0, 6, 0, 11, 0, 2, 0, 255]),
        (
            "asked with ECS", [0, 11, 0, 0] + ParserEquivalenceTests.ecs(1, 0, []), .tcp(keepaliveTimeout: 100),
            [0, 14, 0, 8, 0, 4, 0, 1, 0, 0, 0, 11, 0, 2, 0, 100]
        ),
        ("asked over UDP: ignored", [0, 11, 0, 0], .udp, [0, 0]),
        ("not asked over TCP", [], .tcp(keepaliveTimeout: 100), [0, 0]),
        (
            "a client's TIMEOUT is ignored", [0, 11, 0, 2, 0, 7], .tcp(keepaliveTimeout: 100),
            [0, 6, 0, 11, 0, 2, 0, 100]
        ),
    ]

    @Test(arguments: Array(keepaliveCases.indices))
    func keepaliveIsAnsweredOverTCPWhenAsked(_ index: Int) throws {
        let (label, options, transport, expected) = Self.keepaliveCases[index]
        let query = ParserEquivalenceTests.withOptions("v4.tm.example", type: 1, options)
        let response = try #require(respond(query, transport: transport), "\(label)")
        // RDLENGTH and the options close the OPT record, the last bytes of the response.
        #expect(Array(response.suffix(expected.count)) == expected, "\(label)")
        #expect(ParsedResponse(response)?.answer == ["v4.tm.example.\t30\tIN\tA\t127.0.0.11"], "\(label)")
    }

    @Test func unknownEDNSVersionIsBADVERS() throws {
        let response = try #require(respond(QueryBuilder.make("v4.tm.example", type: 1, edns: .init(version: 1))))
        #expect(response[3] & 0x0f == 0)
        // BADVERS is 16: upper eight bits in the OPT's extended RCODE, version 0.
        #expect(Array(response.suffix(11)) == [0, 0, 41, 0x04, 0xd0, 1, 0, 0, 0, 0, 0])
        #expect(ParsedResponse(response)?.answer == [])
    }

    @Test func largeAnswersAreTruncatedOverUDPOnly() throws {
        let table = TestZone.table(nameservers: 30)
        let plain = try #require(TestZone.ask(table, QueryBuilder.make("tm.example", type: 2)))
        #expect(plain.tc && plain.answer.isEmpty && plain.additional.isEmpty)
        #expect(plain.question.hasPrefix("tm.example.\tIN\tNS"))
        let withEDNS = try #require(respond(QueryBuilder.make("tm.example", type: 2, edns: .init(size: 4096)), table))
        #expect(withEDNS.count <= 1232)
        let overTCP = try #require(
            TestZone.ask(table, QueryBuilder.make("tm.example", type: 2), transport: .tcp(keepaliveTimeout: 100)))
        #expect(!overTCP.tc && overTCP.answer.count == 30 && overTCP.additional.count == 60)
        // A small answer fits without truncation.
        #expect(TestZone.ask(table, QueryBuilder.make("v4.tm.example", type: 1))?.tc == false)
    }

    @Test func malformedInput() throws {
        // Too short for a header, or a response: dropped.
        #expect(respond([1, 2, 3]) == nil)
        var response = QueryBuilder.make("v4.tm.example", type: 1)
        response[2] |= 0x80
        #expect(respond(response) == nil)
        // Other opcodes: NOTIMP with the ID kept.
        var status = QueryBuilder.make("v4.tm.example", type: 1, id: 7)
        status[2] |= 2 << 3
        let notImplemented = try #require(respond(status))
        #expect(notImplemented[0...1] == [0, 7] && notImplemented[3] & 0x0f == 4 && notImplemented[2] & 0x78 == 0x10)
        // No question, two questions, a compression loop, a truncated question: FORMERR.
        var noQuestion = QueryBuilder.make("v4.tm.example", type: 1)
        noQuestion[5] = 0
        var twoQuestions = QueryBuilder.make("v4.tm.example", type: 1)
        twoQuestions[5] = 2
        let loop: [UInt8] = [0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]
        let truncated = Array(QueryBuilder.make("v4.tm.example", type: 1).prefix(20))
        for packet in [Array(noQuestion.prefix(12)), twoQuestions, loop, truncated] {
            let formErr = try #require(respond(packet))
            #expect(formErr[3] & 0x0f == 1)
            #expect(formErr[0...1] == packet[0...1])
            #expect(formErr[2] & 0x80 != 0)
        }
    }
}
