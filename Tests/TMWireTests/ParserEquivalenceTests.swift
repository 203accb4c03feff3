import TMRouting
import Testing

@testable import TMWire

/// The in-place parser and ldns must give byte-identical answers: ldns stays the one source of truth.
struct ParserEquivalenceTests {
    static let table = TestZone.table()

    static func ecs(_ family: UInt16, _ source: UInt8, _ address: [UInt8]) -> [UInt8] {
        let length = 4 + address.count
        return [0, 8, UInt8(length >> 8), UInt8(length & 0xff), 0, UInt8(family), source, 0] + address
    }

    /// A query with an OPT record carrying `options`.
    static func withOptions(
        _ name: String, type: UInt16, size: UInt16 = 1232, flags: UInt8 = 0,
        _ options: [UInt8]
    ) -> [UInt8] {
        var packet = QueryBuilder.make(name, type: type, id: 0x1d1d, rd: true)
        packet[11] = 1
        packet +=
            [
                0, 0, 41, UInt8(size >> 8), UInt8(size & 0xff), 0, 0, flags, 0,
                UInt8(options.count >> 8), UInt8(options.count & 0xff),
            ] + options
        return packet
    }

    static let queries: [[UInt8]] = [
        QueryBuilder.make("v4.tm.example", type: 1),
        QueryBuilder.make("V4.TM.Example", type: 1, id: 7, rd: true, cd: true),
        QueryBuilder.make("v6.tm.example", type: 28, edns: .init(size: 4096)),
        QueryBuilder.make("v6.tm.example", type: 1, edns: .init(size: 0)),
        QueryBuilder.make("cname.tm.example", type: 28, edns: .init(size: 512, dnssecOK: true)),
        QueryBuilder.make("nope.tm.example", type: 1),
        QueryBuilder.make("a.b.c.nope.tm.example", type: 16, edns: .init()),
        QueryBuilder.make("tm.example", type: 2),
        QueryBuilder.make("tm.example", type: 6, edns: .init()),
        QueryBuilder.make("tm.example", type: 255),
        QueryBuilder.make("example.org", type: 1),
        QueryBuilder.make("version.bind", type: 16, dnsClass: 3),
        QueryBuilder.make("v4.tm.example", type: 1, edns: .init(version: 1)),
        QueryBuilder.make("v4.tm.example", type: 41),
        QueryBuilder.make("", type: 2),
        withOptions("v4.tm.example", type: 1, ecs(1, 24, [198, 51, 100])),
        withOptions("v4.tm.example", type: 1, ecs(2, 48, [0x20, 0x01, 0x0d, 0xb8, 0, 5])),
        withOptions("v4.tm.example", type: 1, [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8] + ecs(1, 0, [])),
        withOptions("v4.tm.example", type: 1, [0, 11, 0, 0] + ecs(1, 24, [198, 51, 100])),
        // Malformed options: FORMERR either way.
        withOptions("v4.tm.example", type: 1, ecs(1, 24, [198, 51, 100, 7])),
        withOptions("v4.tm.example", type: 1, [0, 8, 0, 40, 0]),
    ]

    /// The response bytes for `parsed`, nil when dropped.
    static func respond(
        _ packet: UnsafeRawBufferPointer, _ parsed: Result<ParsedQuery, ParsedQuery.Failure>,
        transport: Transport = .udp, cookies: CookieSecrets? = nil
    ) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: DNSResponder.maxResponseSize)
        let written = out.withUnsafeMutableBytes {
            DNSResponder.respond(
                to: packet, parsed: parsed, into: $0, table: Self.table, transport: transport,
                client: IPAddress("192.0.2.1"), status: nil, cookies: cookies, now: 1_700_000_000)
        }
        return written.map { Array(out[0..<$0.length]) }
    }

    /// What the in-place parser answers (nil when it declines) and what ldns answers.
    static func bothWays(_ query: [UInt8], transport: Transport = .udp) -> (fast: [UInt8]??, ldns: [UInt8]?) {
        query.withUnsafeBytes { packet in
            (
                ParsedQuery.parseCommon(packet).map { respond(packet, $0, transport: transport) },
                respond(packet, ParsedQuery.parseWithLDNS(packet), transport: transport)
            )
        }
    }

    @Test(arguments: Array(queries.indices))
    func sameBytesEitherWay(_ index: Int) throws {
        // Over TCP too, where what only TCP answers (edns-tcp-keepalive) must be parsed alike.
        for transport in [Transport.udp, .tcp(keepaliveTimeout: 100)] {
            let (fast, ldns) = Self.bothWays(Self.queries[index], transport: transport)
            // Every query here has the common shape, so the fast path must have taken it.
            let fastBytes = try #require(fast, "the in-place parser declined query \(index)")
            #expect(fastBytes == ldns, "\(transport)")
        }
    }

    static let cookieQueries: [[UInt8]] = [
        withOptions("v4.tm.example", type: 1, [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]),
        withOptions("v4.tm.example", type: 1, [0, 10, 0, 24] + [UInt8](repeating: 3, count: 24)),
        withOptions("nope.tm.example", type: 1, ecs(1, 24, [198, 51, 100]) + [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]),
        // Malformed (9 bytes): FORMERR with cookies on. Of two COOKIE options the first counts.
        withOptions("v4.tm.example", type: 1, [0, 10, 0, 9] + [UInt8](repeating: 1, count: 9)),
        withOptions("v4.tm.example", type: 1, [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 0, 1, 0]),
    ]

    /// With cookies on, both parsers read the COOKIE option alike: the same verdict and the same fresh cookie.
    @Test(arguments: Array(cookieQueries.indices))
    func cookiesSameBytesEitherWay(_ index: Int) throws {
        let secrets = CookieSecrets(current: SipHashKey(bytes: Array(UInt8(0)...15))!)
        let query = Self.cookieQueries[index]
        let (fast, ldns) = query.withUnsafeBytes { packet in
            (
                ParsedQuery.parseCommon(packet).map { Self.respond(packet, $0, cookies: secrets) },
                Self.respond(packet, ParsedQuery.parseWithLDNS(packet), cookies: secrets)
            )
        }
        let fastBytes = try #require(fast, "the in-place parser declined cookie query \(index)")
        #expect(fastBytes == ldns)
        let bytes = try #require(fastBytes)
        let malformed = index == 3
        #expect(bytes[3] & 0x0f == (malformed ? 1 : index == 2 ? 3 : 0))
        // A well-formed cookie is answered with one (our writer puts it last): the client cookie and 16 bytes.
        #expect((Array(bytes.suffix(28).prefix(4)) == [0, 10, 0, 24]) == !malformed)
    }

    static let question = QueryBuilder.make("v4.tm.example", type: 1, id: 0x5757)
    static let typeClassA: [UInt8] = [0, 1, 0, 1]
    static let opt: [UInt8] = [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]
    /// An OPT record (root owner, DO set) carrying `options`.
    static func opt(dnssecOK: Bool = false, _ options: [UInt8]) -> [UInt8] {
        [0, 0, 41, 0x04, 0xd0, 0, 0, dnssecOK ? 0x80 : 0, 0, UInt8(options.count >> 8), UInt8(options.count & 0xff)]
            + options
    }
    /// `question` with the header counts set and `records` after it.
    static func withRecords(an: UInt8 = 0, ns: UInt8 = 0, ar: UInt8 = 0, _ records: [UInt8]) -> [UInt8] {
        var packet = question
        packet[7] = an
        packet[9] = ns
        packet[11] = ar
        return packet + records
    }
    /// A header for one question, then `body`.
    static func header(ar: UInt8 = 0) -> [UInt8] { [0x57, 0x58, 0, 0, 0, 1, 0, 0, 0, 0, 0, ar] }
    static let v4Name: [UInt8] = [2, 0x76, 0x34, 2, 0x74, 0x6d, 7, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0]
    static let aRecord: [UInt8] = [0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 192, 0, 2, 1]
    /// A well-formed TSIG record (owner `k.`, class ANY, TTL 0; hmac-sha256., an empty MAC), never verified.
    static let tsig: [UInt8] =
        [1, 0x6b, 0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 29, 11] + Array("hmac-sha256".utf8)
        + [0, 0, 0, 0x69, 0x2d, 0x2a, 0, 1, 0x2c, 0, 0, 0x57, 0x57, 0, 0, 0, 0]

    /// Shapes ldns accepts but RFC 6891 and RFC 1035 do not (FORMERR), and legal shapes close to them (answered).
    static let strictCases: [(label: String, packet: [UInt8], violation: StrictParsing.Violation?)] = [
        ("two OPT records", withRecords(ar: 2, opt + opt), .secondOPT),
        // What ldns would merge: ECS from the first, DO from the second.
        (
            "two OPT records, ECS in one and DO in the other",
            withRecords(ar: 2, opt(ecs(1, 24, [198, 51, 100])) + opt(dnssecOK: true, [])), .secondOPT
        ),
        ("an OPT owned by x.", withRecords(ar: 1, [1, 0x78, 0] + opt.dropFirst()), .optOwnerNotRoot),
        ("an OPT owned by the question name", withRecords(ar: 1, [0xc0, 12] + opt.dropFirst()), .optOwnerNotRoot),
        ("an OPT in the answer section", withRecords(an: 1, opt), .optOutsideAdditional),
        ("an OPT in the authority section", withRecords(ns: 1, opt), .optOutsideAdditional),
        (
            "an OPT in the authority section and one in the additional", withRecords(ns: 1, ar: 1, opt + opt),
            .optOutsideAdditional
        ),
        // ldns would follow these and answer v4.tm.example.
        ("a question that is a forward pointer", header() + [0xc0, 18] + typeClassA + v4Name, .pointerNotBackwards),
        (
            "a question whose labels end in a forward pointer",
            header() + [2, 0x76, 0x34, 0xc0, 21] + typeClassA + v4Name.suffix(from: 3), .pointerNotBackwards
        ),
        ("a question that points into the header", header() + [0xc0, 4] + typeClassA, .pointerNotBackwards),
        ("a question that points to itself", header() + [0xc0, 12] + typeClassA, .pointerNotBackwards),
        (
            "an additional owner that points forward",
            header(ar: 2) + v4Name + typeClassA + [0xc0, 47] + aRecord
                + v4Name + aRecord, .pointerNotBackwards
        ),
        // Found by fuzz/FuzzQueryParser: ldns keeps the last of several TSIG records and leaks the others.
        ("two TSIG records", withRecords(ar: 2, tsig + tsig), .tsigNotLast),
        ("a TSIG before the OPT", withRecords(ar: 2, tsig + opt), .tsigNotLast),
        ("a TSIG in the answer section", withRecords(an: 1, tsig), .tsigNotLast),
        // Legal: answered as usual.
        ("an OPT and an A record in the additional section", withRecords(ar: 2, opt + [0] + aRecord), nil),
        ("an OPT, then a TSIG as the last record (not verified, ignored)", withRecords(ar: 2, opt + tsig), nil),
        ("an additional owner that points back to the question", withRecords(ar: 2, [0xc0, 12] + aRecord + opt), nil),
        (
            "a chain of backward pointers in the additional section",
            withRecords(ar: 3, [0xc0, 12] + aRecord + [0xc0, 31] + aRecord + [0xc0, 47] + aRecord), nil
        ),
    ]

    @Test(arguments: Array(strictCases.indices))
    func strictShapesAreFormErrEitherWay(_ index: Int) throws {
        let (label, packet, violation) = Self.strictCases[index]
        #expect(packet.withUnsafeBytes { StrictParsing.violation(in: $0) } == violation, "\(label)")
        let (fast, ldns) = Self.bothWays(packet)
        if let fast { #expect(fast == ldns, "\(label): the in-place parser disagrees with ldns") }
        let reply = try #require(ldns, "\(label): dropped")
        #expect(reply[0...1] == packet[0...1])
        #expect(reply[3] & 0x0f == (violation == nil ? 0 : 1), "\(label): rcode \(reply[3] & 0x0f)")
        // The whole query path gives the same answer.
        #expect(TestZone.respond(packet, Self.table) == reply, "\(label)")
    }

    @Test func unusualShapesGoToLDNS() {
        var twoQuestions = QueryBuilder.make("v4.tm.example", type: 1)
        twoQuestions[5] = 2
        let compressed: [UInt8] = [0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]
        let trailing = QueryBuilder.make("v4.tm.example", type: 1) + [0]
        var notify = QueryBuilder.make("v4.tm.example", type: 1)
        notify[2] |= 4 << 3
        for packet in [twoQuestions, compressed, trailing, notify, [1, 2, 3]] {
            #expect(packet.withUnsafeBytes { ParsedQuery.parseCommon($0) } == nil)
        }
    }
}
