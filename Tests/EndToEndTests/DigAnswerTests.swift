import Foundation
import Testing

/// Answers as dig sees them, against `TestConfig.standard()` (see there for the profiles), each test on its own
/// server and port.
@Suite("dig answers")
struct DigAnswerTests {
    /// The SOA every negative answer carries: owner, TTL min(3600, 30) = 30, and the configured fields.
    static func expectNegativeSOA(_ response: DigResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.authority.count == 1, "\(response)", sourceLocation: sourceLocation)
        guard let soa = response.authority.first else { return }
        #expect(soa.name == "tm.example.", sourceLocation: sourceLocation)
        #expect(soa.type == "SOA", sourceLocation: sourceLocation)
        #expect(soa.ttl == 30, "negative TTL must be min(soa.ttl, soa.minimum)", sourceLocation: sourceLocation)
        #expect(soa.data.hasPrefix("ns1.tm.example. hostmaster.tm.example. "), sourceLocation: sourceLocation)
        #expect(soa.data.hasSuffix(" 3600 600 86400 30"), sourceLocation: sourceLocation)
    }

    static func expectNoData(_ response: DigResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == "NOERROR", "\(response)", sourceLocation: sourceLocation)
        #expect(response.flags.contains("aa"), sourceLocation: sourceLocation)
        #expect(response.answer.isEmpty, "NODATA has no answer: \(response)", sourceLocation: sourceLocation)
        #expect(response.counts["ANSWER"] == 0, sourceLocation: sourceLocation)
        expectNegativeSOA(response, sourceLocation: sourceLocation)
    }

    static func withStandardServer(_ body: (ServerProcess) throws -> Void) throws {
        let config = try TestConfig.standard()
        defer { config.remove() }
        try ServerProcess.with(config: config.url, body)
    }

    @Test("IPv4 target: A answered, AAAA is NODATA with the SOA (TTL 30)")
    func ipv4Target() throws {
        try Self.withStandardServer { server in
            let a = try server.dig(["app.tm.example", "A"])
            #expect(a.status == "NOERROR")
            #expect(a.flags.contains("aa"))
            #expect(
                a.answer == [
                    DigRecord(
                        name: "app.tm.example.", ttl: 30, dnsClass: "IN", type: "A",
                        data: "127.0.0.11")
                ], "\(a)")
            #expect(a.authority.isEmpty)

            Self.expectNoData(try server.dig(["app.tm.example", "AAAA"]))
        }
    }

    @Test("IPv6 target: AAAA answered, A is NODATA")
    func ipv6Target() throws {
        try Self.withStandardServer { server in
            let aaaa = try server.dig(["v6.tm.example", "AAAA"])
            #expect(aaaa.status == "NOERROR")
            #expect(aaaa.flags.contains("aa"))
            #expect(
                aaaa.answer == [
                    DigRecord(
                        name: "v6.tm.example.", ttl: 60, dnsClass: "IN", type: "AAAA",
                        data: "2001:db8::10")
                ], "\(aaaa)")

            Self.expectNoData(try server.dig(["v6.tm.example", "A"]))
        }
    }

    @Test("DNS-name target: A, AAAA and CNAME queries answer the CNAME record")
    func dnsNameTarget() throws {
        try Self.withStandardServer { server in
            for type in ["A", "AAAA", "CNAME"] {
                let response = try server.dig(["alias.tm.example", type])
                #expect(response.status == "NOERROR", "\(type): \(response)")
                #expect(response.flags.contains("aa"))
                #expect(
                    response.answer == [
                        DigRecord(
                            name: "alias.tm.example.", ttl: 45, dnsClass: "IN",
                            type: "CNAME", data: "origin.example.net.")
                    ],
                    "\(type): \(response)")
            }
        }
    }

    @Test("CNAME query on an address target is NODATA")
    func cnameOnAddressTarget() throws {
        try Self.withStandardServer { server in
            Self.expectNoData(try server.dig(["app.tm.example", "CNAME"]))
            Self.expectNoData(try server.dig(["v6.tm.example", "CNAME"]))
        }
    }

    @Test("Priority routing: a disabled first endpoint is skipped; the lowest priority number wins")
    func priorityRouting() throws {
        try Self.withStandardServer { server in
            let failover = try server.dig(["failover.tm.example", "A"])
            #expect(failover.status == "NOERROR")
            #expect(
                failover.answer == [
                    DigRecord(
                        name: "failover.tm.example.", ttl: 20, dnsClass: "IN", type: "A",
                        data: "192.0.2.2")
                ], "\(failover)")

            let order = try server.dig(["order.tm.example", "A"])
            #expect(order.answerData("A") == ["192.0.2.22"], "\(order)")
            #expect(order.answer.count == 1)
        }
    }

    @Test("A disabled profile's name is NXDOMAIN")
    func disabledProfile() throws {
        try Self.withStandardServer { server in
            for type in ["A", "AAAA"] {
                let response = try server.dig(["off.tm.example", type])
                #expect(response.status == "NXDOMAIN", "\(response)")
                #expect(response.flags.contains("aa"))
                #expect(response.answer.isEmpty)
                Self.expectNegativeSOA(response)
            }
        }
    }

    @Test("Zone apex: SOA, and NS with the name servers' addresses as glue")
    func apex() throws {
        try Self.withStandardServer { server in
            let soa = try server.dig(["tm.example", "SOA"])
            #expect(soa.status == "NOERROR")
            #expect(soa.flags.contains("aa"))
            #expect(soa.answer.count == 1, "\(soa)")
            if let record = soa.answer.first {
                #expect(record.name == "tm.example.")
                #expect(record.type == "SOA")
                #expect(record.ttl == 3600)
                let fields = record.data.split(separator: " ").map(String.init)
                #expect(fields.count == 7)
                #expect(fields.first == "ns1.tm.example.")
                #expect(fields.dropFirst().first == "hostmaster.tm.example.")
                #expect(Array(fields.suffix(4)) == ["3600", "600", "86400", "30"])
            }

            let ns = try server.dig(["tm.example", "NS"])
            #expect(ns.status == "NOERROR")
            #expect(ns.flags.contains("aa"))
            #expect(ns.answerData("NS") == TestConfig.Standard.nameservers, "\(ns)")
            #expect(ns.answer.allSatisfy { $0.name == "tm.example." && $0.ttl == 3600 })
            let glue = ns.additional.map { "\($0.name) \($0.type) \($0.data)" }.sorted()
            #expect(
                glue == [
                    "ns1.tm.example. A 127.0.0.1", "ns1.tm.example. AAAA ::1",
                    "ns2.tm.example. A 127.0.0.2",
                ], "\(ns)")
        }
    }

    @Test("Name server names answer A and AAAA from zone.addresses")
    func nameserverAddresses() throws {
        try Self.withStandardServer { server in
            let a = try server.dig(["ns1.tm.example", "A"])
            #expect(a.status == "NOERROR")
            #expect(a.flags.contains("aa"))
            #expect(
                a.answer == [
                    DigRecord(
                        name: "ns1.tm.example.", ttl: 3600, dnsClass: "IN", type: "A",
                        data: "127.0.0.1")
                ], "\(a)")
            let aaaa = try server.dig(["ns1.tm.example", "AAAA"])
            #expect(
                aaaa.answer == [
                    DigRecord(
                        name: "ns1.tm.example.", ttl: 3600, dnsClass: "IN", type: "AAAA",
                        data: "::1")
                ], "\(aaaa)")
            // ns2 has no IPv6 address: NODATA, not NXDOMAIN.
            Self.expectNoData(try server.dig(["ns2.tm.example", "AAAA"]))
        }
    }

    @Test("Names that do not exist in the zone are NXDOMAIN with the SOA, names below a profile included")
    func nxdomain() throws {
        try Self.withStandardServer { server in
            for name in ["nope.tm.example", "deep.app.tm.example", "a.b.c.tm.example", "x.ns1.tm.example"] {
                let response = try server.dig([name, "A"])
                #expect(response.status == "NXDOMAIN", "\(name): \(response)")
                #expect(response.flags.contains("aa"), "\(name)")
                #expect(response.answer.isEmpty, "\(name)")
                Self.expectNegativeSOA(response)
            }
        }
    }

    @Test("Names outside the zone are REFUSED without AA")
    func outOfZone() throws {
        try Self.withStandardServer { server in
            for name in ["example.com", "example", "xtm.example", "tm.example.org", "."] {
                let response = try server.dig([name, "A"])
                #expect(response.status == "REFUSED", "\(name): \(response)")
                #expect(!response.flags.contains("aa"), "\(name): \(response)")
                #expect(response.answer.isEmpty && response.authority.isEmpty, "\(name): \(response)")
            }
        }
    }

    @Test("Header: AA set, RA clear, RD copied from the query")
    func headerFlags() throws {
        try Self.withStandardServer { server in
            let recursive = try server.dig(["+rec", "app.tm.example", "A"])
            #expect(recursive.flags.contains("qr"))
            #expect(recursive.flags.contains("aa"))
            #expect(recursive.flags.contains("rd"), "RD must be copied: \(recursive)")
            #expect(!recursive.flags.contains("ra"), "RA must be clear: \(recursive)")
            #expect(recursive.opcode == "QUERY")

            let plain = try server.dig(["app.tm.example", "A"])
            #expect(plain.flags.contains("aa"))
            #expect(!plain.flags.contains("rd"), "\(plain)")
            #expect(!plain.flags.contains("ra"))
        }
    }

    @Test("The question's case is preserved in the question and the answer owner")
    func questionCase() throws {
        try Self.withStandardServer { server in
            let response = try server.dig(["ApP.Tm.EXAMPLE", "A"])
            #expect(response.status == "NOERROR")
            #expect(
                response.question == [DigQuestion(name: "ApP.Tm.EXAMPLE.", dnsClass: "IN", type: "A")], "\(response)")
            #expect(
                response.answer == [
                    DigRecord(
                        name: "ApP.Tm.EXAMPLE.", ttl: 30, dnsClass: "IN", type: "A",
                        data: "127.0.0.11")
                ], "\(response)")
        }
    }

    @Test("TCP answers the same as UDP")
    func tcp() throws {
        try Self.withStandardServer { server in
            let a = try server.dig(["+tcp", "app.tm.example", "A"])
            #expect(a.transport == "TCP", "\(a)")
            #expect(a.status == "NOERROR")
            #expect(a.flags.contains("aa"))
            #expect(a.answerData("A") == ["127.0.0.11"], "\(a)")

            let nx = try server.dig(["+tcp", "nope.tm.example", "A"])
            #expect(nx.transport == "TCP")
            #expect(nx.status == "NXDOMAIN")
            Self.expectNegativeSOA(nx)

            let ns = try server.dig(["+tcp", "tm.example", "NS"])
            #expect(ns.answerData("NS") == TestConfig.Standard.nameservers, "\(ns)")
        }
    }

    @Test("EDNS: OPT echoed with UDP payload size 1232; no OPT without EDNS")
    func edns() throws {
        try Self.withStandardServer { server in
            for size in [512, 1232, 4096] {
                let response = try server.dig(["+bufsize=\(size)", "app.tm.example", "A"])
                #expect(response.edns == DigEDNS(version: 0, udp: 1232), "bufsize \(size): \(response)")
                #expect(response.answerData("A") == ["127.0.0.11"])
            }
            let plain = try server.dig(["+noedns", "app.tm.example", "A"])
            #expect(plain.edns == nil, "\(plain)")
            #expect(plain.counts["ADDITIONAL"] == 0, "\(plain)")
            #expect(plain.answerData("A") == ["127.0.0.11"])

            let negative = try server.dig(["+noedns", "nope.tm.example", "A"])
            #expect(negative.edns == nil)
            #expect(negative.status == "NXDOMAIN")
        }
    }

    @Test("EDNS version 1 is answered BADVERS")
    func badVersion() throws {
        try Self.withStandardServer { server in
            let response = try server.dig(["+noednsneg", "+edns=1", "app.tm.example", "A"])
            #expect(response.status == "BADVERS", "\(response)")
            #expect(response.edns?.version == 0, "the answer's OPT carries the version we speak: \(response)")
            #expect(response.answer.isEmpty)
        }
    }

    @Test("ANY is answered with one RRset (RFC 8482)")
    func any() throws {
        try Self.withStandardServer { server in
            let apex = try server.dig(["tm.example", "ANY"])
            #expect(apex.status == "NOERROR")
            #expect(apex.flags.contains("aa"))
            let types = Set(apex.answer.map(\.type))
            #expect(types.count == 1, "one RRset, not all of them: \(apex)")
            #expect(apex.answer.allSatisfy { $0.name == "tm.example." })
            if types == ["NS"] {
                #expect(apex.answerData("NS") == TestConfig.Standard.nameservers, "the whole RRset: \(apex)")
            } else {
                #expect(types == ["SOA"], "\(apex)")
                #expect(apex.answer.count == 1)
            }

            let app = try server.dig(["app.tm.example", "ANY"])
            #expect(
                app.answer == [
                    DigRecord(
                        name: "app.tm.example.", ttl: 30, dnsClass: "IN", type: "A",
                        data: "127.0.0.11")
                ], "\(app)")
            let ns1 = try server.dig(["ns1.tm.example", "ANY"])
            #expect(Set(ns1.answer.map(\.type)).count == 1, "\(ns1)")
            #expect(!ns1.answer.isEmpty)
        }
    }

    @Test("CHAOS TXT: version.bind and version.server give the version, id.server and hostname.bind the host name")
    func chaos() throws {
        let versionOutput = try Command.edgetm(["--version"])
        let version = versionOutput.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(versionOutput.status == 0)
        #expect(!version.isEmpty)
        let hostname = currentHostName()
        #expect(!hostname.isEmpty)
        try Self.withStandardServer { server in
            for (name, expected) in [
                ("version.bind", "\"edgetm \(version)\""), ("version.server", "\"edgetm \(version)\""),
                ("id.server", "\"\(hostname)\""), ("hostname.bind", "\"\(hostname)\""),
            ] {
                let response = try server.dig(["CH", "TXT", name])
                #expect(response.status == "NOERROR", "\(name): \(response)")
                #expect(response.answer.count == 1, "\(name): \(response)")
                #expect(response.answer.first?.name == name + ".")
                #expect(response.answer.first?.dnsClass == "CH")
                #expect(response.answer.first?.type == "TXT")
                #expect(response.answer.first?.data == expected, "\(name): \(response)")
            }
            let unknown = try server.dig(["CH", "TXT", "authors.bind"])
            #expect(unknown.status != "NOERROR" || unknown.answer.isEmpty, "\(unknown)")
        }
    }

    @Test("IPv6 transport: served on [::1] as well as 127.0.0.1, over UDP and TCP")
    func ipv6Transport() throws {
        let config = try TestConfig.standard()
        defer { config.remove() }
        try ServerProcess.with(config: config.url, on: [.v4, .v6]) { server in
            for transport in ["+notcp", "+tcp"] {
                let v6 = try server.dig([transport, "app.tm.example", "A"], address: .v6)
                #expect(v6.status == "NOERROR", "\(transport): \(v6)")
                #expect(v6.answerData("A") == ["127.0.0.11"], "\(transport): \(v6)")
                #expect(v6.output.contains("SERVER: ::1#\(server.port)"), "\(v6)")
                let v4 = try server.dig([transport, "v6.tm.example", "AAAA"], address: .v4)
                #expect(v4.answerData("AAAA") == ["2001:db8::10"], "\(transport): \(v4)")
            }
        }
    }
}
