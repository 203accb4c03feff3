import TMRouting
import TMWire
import Testing

/// Query name and type against target kind: the answer, NODATA, NXDOMAIN or REFUSED, as RFC 1034/2308 want.
struct AnswerMatrixTests {
    static let table = TestZone.table()
    static let soa = "tm.example.\t30\tIN\tSOA\tns1.tm.example. hostmaster.tm.example. 2026112701 3600 600 86400 30"

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let type: UInt16
        var dnsClass: UInt16 = 1
        let rcode: UInt8
        let answer: [String]
        var authority: [String]? = nil
        var additional: [String]? = nil
        var testDescription: String { "\(name) type \(type) class \(dnsClass)" }
    }

    static let nodata: [String] = [soa]
    static let cases: [Case] = [
        Case(
            name: "v4.tm.example", type: 1, rcode: 0, answer: ["v4.tm.example.\t30\tIN\tA\t127.0.0.11"], authority: []),
        Case(name: "v4.tm.example", type: 28, rcode: 0, answer: [], authority: nodata),
        Case(name: "v4.tm.example", type: 5, rcode: 0, answer: [], authority: nodata),
        Case(name: "v4.tm.example", type: 15, rcode: 0, answer: [], authority: nodata),
        Case(name: "v6.tm.example", type: 28, rcode: 0, answer: ["v6.tm.example.\t30\tIN\tAAAA\t2001:db8::10"]),
        Case(name: "v6.tm.example", type: 1, rcode: 0, answer: [], authority: nodata),
        Case(
            name: "cname.tm.example", type: 1, rcode: 0,
            answer: ["cname.tm.example.\t30\tIN\tCNAME\torigin.example.net."]),
        Case(
            name: "cname.tm.example", type: 28, rcode: 0,
            answer: ["cname.tm.example.\t30\tIN\tCNAME\torigin.example.net."]),
        Case(
            name: "cname.tm.example", type: 5, rcode: 0,
            answer: ["cname.tm.example.\t30\tIN\tCNAME\torigin.example.net."]),
        Case(name: "skip.tm.example", type: 1, rcode: 0, answer: ["skip.tm.example.\t30\tIN\tA\t127.0.0.22"]),
        Case(name: "off.tm.example", type: 1, rcode: 3, answer: [], authority: nodata),
        Case(name: "none.tm.example", type: 1, rcode: 0, answer: [], authority: nodata),
        Case(
            name: "tm.example", type: 6, rcode: 0,
            answer: [
                "tm.example.\t3600\tIN\tSOA\tns1.tm.example. hostmaster.tm.example. 2026112701 3600 600 86400 30"
            ]),
        Case(
            name: "tm.example", type: 2, rcode: 0, answer: ["tm.example.\t3600\tIN\tNS\tns1.tm.example."],
            additional: ["ns1.tm.example.\t3600\tIN\tA\t127.0.0.1", "ns1.tm.example.\t3600\tIN\tAAAA\t::1"]),
        Case(name: "tm.example", type: 1, rcode: 0, answer: [], authority: nodata),
        Case(name: "ns1.tm.example", type: 28, rcode: 0, answer: ["ns1.tm.example.\t3600\tIN\tAAAA\t::1"]),
        // An empty non-terminal exists: NODATA, not NXDOMAIN.
        Case(name: "sub.tm.example", type: 1, rcode: 0, answer: [], authority: nodata),
        Case(name: "host.sub.tm.example", type: 1, rcode: 0, answer: ["host.sub.tm.example.\t3600\tIN\tA\t192.0.2.7"]),
        Case(name: "nope.tm.example", type: 1, rcode: 3, answer: [], authority: nodata),
        Case(name: "x.v4.tm.example", type: 1, rcode: 3, answer: [], authority: nodata),
        Case(name: "example.com", type: 1, rcode: 5, answer: [], authority: []),
        Case(name: "xtm.example", type: 1, rcode: 5, answer: [], authority: []),
        Case(name: "tm.example", type: 252, rcode: 5, answer: [], authority: []),
        Case(name: "v4.tm.example", type: 41, rcode: 1, answer: [], authority: []),
        Case(name: "v4.tm.example", type: 1, dnsClass: 4, rcode: 5, answer: []),
        Case(
            name: "version.bind", type: 16, dnsClass: 3, rcode: 0, answer: ["version.bind.\t0\tCH\tTXT\t\"edgetm 9.9\""]
        ),
        Case(
            name: "version.server", type: 16, dnsClass: 3, rcode: 0,
            answer: ["version.server.\t0\tCH\tTXT\t\"edgetm 9.9\""]),
        Case(name: "id.server", type: 16, dnsClass: 3, rcode: 0, answer: ["id.server.\t0\tCH\tTXT\t\"edge-1\""]),
        Case(
            name: "hostname.bind", type: 16, dnsClass: 3, rcode: 0, answer: ["hostname.bind.\t0\tCH\tTXT\t\"edge-1\""]),
        Case(name: "version.bind", type: 1, dnsClass: 3, rcode: 5, answer: []),
        Case(name: "other.bind", type: 16, dnsClass: 3, rcode: 5, answer: []),
    ]

    @Test(arguments: cases)
    func answer(_ testCase: Case) throws {
        let query = QueryBuilder.make(testCase.name, type: testCase.type, dnsClass: testCase.dnsClass)
        let response = try #require(TestZone.ask(Self.table, query))
        #expect(response.rcode == testCase.rcode)
        #expect(response.answer == testCase.answer)
        if let authority = testCase.authority { #expect(response.authority == authority) }
        if let additional = testCase.additional { #expect(response.additional == additional) }
        // Authoritative for everything in the zone and for the CHAOS names; never for what it refuses.
        #expect(response.aa == (testCase.rcode == 0 || testCase.rcode == 3))
        #expect(!response.ra)
    }

    /// RFC 8482: ANY gets one RRset, not everything the name has.
    @Test func anyIsAnsweredMinimally() throws {
        let apex = try #require(TestZone.ask(Self.table, QueryBuilder.make("tm.example", type: 255)))
        #expect(apex.answer.count == 1)
        let profile = try #require(TestZone.ask(Self.table, QueryBuilder.make("v4.tm.example", type: 255)))
        #expect(profile.answer == ["v4.tm.example.\t30\tIN\tA\t127.0.0.11"])
    }
}
