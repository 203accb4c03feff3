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
        // Malformed options: FORMERR either way.
        withOptions("v4.tm.example", type: 1, ecs(1, 24, [198, 51, 100, 7])),
        withOptions("v4.tm.example", type: 1, [0, 8, 0, 40, 0]),
    ]

    @Test(arguments: Array(queries.indices))
    func sameBytesEitherWay(_ index: Int) throws {
        let query = Self.queries[index]
        func respond(_ packet: UnsafeRawBufferPointer, _ parsed: Result<ParsedQuery, ParsedQuery.Failure>) -> [UInt8]? {
            var out = [UInt8](repeating: 0, count: DNSResponder.maxResponseSize)
            let written = out.withUnsafeMutableBytes {
                DNSResponder.respond(
                    to: packet, parsed: parsed, into: $0, table: Self.table, transport: .udp,
                    client: nil, status: nil)
            }
            return written.map { Array(out[0..<$0.length]) }
        }
        let (fast, ldns) = query.withUnsafeBytes { packet in
            (
                ParsedQuery.parseCommon(packet).map { respond(packet, $0) },
                respond(packet, ParsedQuery.parseWithLDNS(packet))
            )
        }
        // Every query here has the common shape, so the fast path must have taken it.
        let fastBytes = try #require(fast, "the in-place parser declined query \(index)")
        #expect(fastBytes == ldns)
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
