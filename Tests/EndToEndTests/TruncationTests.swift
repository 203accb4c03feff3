import Foundation
import Testing

/// UDP size limits: 512 bytes without EDNS, min(client size, 1232) with it; TC and no records when the answer
/// does not fit; TCP always gets everything. Served from `TestConfig.largeApex()`, whose apex NS answer with glue
/// is about 2.2 kB.
@Suite("truncation")
struct TruncationTests {
    static let glueCount = TestConfig.Large.nameserverCount * 2

    static func expectTruncated(_ response: DigResponse, edns: Bool, sourceLocation: SourceLocation = #_sourceLocation)
    {
        #expect(response.status == "NOERROR", "\(response)", sourceLocation: sourceLocation)
        #expect(response.flags.contains("tc"), "TC must be set: \(response)", sourceLocation: sourceLocation)
        #expect(response.flags.contains("aa"), sourceLocation: sourceLocation)
        #expect(response.transport == "UDP", sourceLocation: sourceLocation)
        #expect(
            response.counts["ANSWER"] == 0, "no answer records when truncated: \(response)",
            sourceLocation: sourceLocation)
        #expect(response.counts["AUTHORITY"] == 0, sourceLocation: sourceLocation)
        #expect(
            response.counts["ADDITIONAL"] == (edns ? 1 : 0), "only the OPT record may remain: \(response)",
            sourceLocation: sourceLocation)
        #expect(response.answer.isEmpty && response.additional.isEmpty, sourceLocation: sourceLocation)
        #expect((response.edns != nil) == edns, sourceLocation: sourceLocation)
    }

    static func expectComplete(_ response: DigResponse, edns: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == "NOERROR", "\(response)", sourceLocation: sourceLocation)
        #expect(!response.flags.contains("tc"), "\(response)", sourceLocation: sourceLocation)
        let expected = (1...TestConfig.Large.nameserverCount).map(TestConfig.Large.nameserver)
        #expect(response.answerData("NS") == expected, "\(response)", sourceLocation: sourceLocation)
        #expect(
            response.additional.count == glueCount, "A and AAAA glue for every name server: \(response)",
            sourceLocation: sourceLocation)
        #expect(
            response.records(response.additional, type: "A").count == TestConfig.Large.nameserverCount,
            sourceLocation: sourceLocation)
        #expect(
            response.records(response.additional, type: "AAAA").count == TestConfig.Large.nameserverCount,
            sourceLocation: sourceLocation)
        #expect(response.counts["ADDITIONAL"] == glueCount + (edns ? 1 : 0), sourceLocation: sourceLocation)
    }

    @Test("Apex NS over UDP is truncated (with and without EDNS), complete over TCP")
    func largeApexAnswer() throws {
        let config = try TestConfig.largeApex()
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            // 512-byte limit without EDNS.
            Self.expectTruncated(try server.dig(["+noedns", "+ignore", "tm.example", "NS"]), edns: false)
            // The client offers 4096, but edgetm caps UDP answers at 1232.
            Self.expectTruncated(try server.dig(["+bufsize=4096", "+ignore", "tm.example", "NS"]), edns: true)
            Self.expectTruncated(try server.dig(["+bufsize=1232", "+ignore", "tm.example", "NS"]), edns: true)

            let tcp = try server.dig(["+tcp", "+noedns", "tm.example", "NS"])
            #expect(tcp.transport == "TCP")
            Self.expectComplete(tcp, edns: false)
            let tcpEDNS = try server.dig(["+tcp", "tm.example", "NS"])
            Self.expectComplete(tcpEDNS, edns: true)

            // Without +ignore, dig follows TC and retries over TCP.
            let retried = try server.dig(["+noedns", "tm.example", "NS"])
            #expect(retried.transport == "TCP", "\(retried)")
            Self.expectComplete(retried, edns: false)

            // Small answers from the same zone still fit in 512 bytes.
            let small = try server.dig(["+noedns", "+ignore", TestConfig.Large.nameserver(7), "AAAA"])
            #expect(!small.flags.contains("tc"), "\(small)")
            #expect(small.answerData("AAAA") == ["fd00::7"], "\(small)")
        }
    }

    @Test("UDP answers never exceed 1232 bytes, whatever EDNS size the client offers")
    func cappedAt1232() throws {
        let config = try TestConfig.largeApex()
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            let client = try server.udpClient()
            let tcp = try server.tcpClient()
            defer { tcp.close() }
            let fullReply = try #require(
                try tcp.exchange(
                    DNSWire.query(
                        id: 1, name: "tm.example", type: RRType.ns,
                        edns: EDNSSpec(udpSize: 65535))))
            let full = try DNSMessage(fullReply)
            #expect(!full.tc)
            #expect(full.answers.count == TestConfig.Large.nameserverCount)
            #expect(fullReply.count > 1232, "the test zone must need more than 1232 bytes")

            for (index, size) in [UInt16(0), 512, 1000, 1232, 1400, 4096, 65535].enumerated() {
                let id = UInt16(100 + index)
                let reply = try #require(
                    client.exchange(
                        DNSWire.query(
                            id: id, name: "tm.example", type: RRType.ns,
                            edns: EDNSSpec(udpSize: size))),
                    "size \(size)")
                let message = try DNSMessage(reply)
                #expect(reply.count <= 1232, "size \(size): \(reply.count) bytes")
                #expect(message.tc, "size \(size): \(message)")
                #expect(message.answers.isEmpty && message.authority.isEmpty && message.additional.isEmpty)
                #expect(message.ednsUDPSize == 1232)
                #expect(message.questions.count == 1)
            }
        }
    }

    @Test("The UDP limit is exact: an answer of N bytes fits an EDNS size of N, not N-1, nor 512 without EDNS")
    func exactLimit() throws {
        // 8 name servers with A glue: an apex NS answer between 512 and 1232 bytes.
        let config = try TestConfig.apex(nameservers: 8, ipv6Glue: false)
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            let tcp = try server.tcpClient()
            defer { tcp.close() }
            // The same question with EDNS over TCP is never truncated and has exactly the UDP answer's size.
            let fullReply = try #require(
                try tcp.exchange(
                    DNSWire.query(
                        id: 1, name: "tm.example", type: RRType.ns,
                        edns: EDNSSpec(udpSize: 1232))))
            let full = try DNSMessage(fullReply)
            #expect(!full.tc)
            #expect(full.answers.count == 8)
            #expect(full.additional.count == 8)
            let size = fullReply.count
            try #require(size > 512 && size < 1232, "the answer must be between 512 and 1232 bytes, not \(size)")

            let client = try server.udpClient()
            let fits = try DNSMessage(
                try #require(
                    client.exchange(
                        DNSWire.query(
                            id: 2, name: "tm.example", type: RRType.ns, edns: EDNSSpec(udpSize: UInt16(size))))))
            #expect(!fits.tc, "\(size) bytes fit a \(size)-byte limit: \(fits)")
            #expect(fits.bytes == [0, 2] + fullReply.dropFirst(2), "same answer as over TCP")

            let tooSmall = try DNSMessage(
                try #require(
                    client.exchange(
                        DNSWire.query(
                            id: 3, name: "tm.example", type: RRType.ns, edns: EDNSSpec(udpSize: UInt16(size - 1))))))
            #expect(tooSmall.tc, "\(size) bytes do not fit \(size - 1): \(tooSmall)")
            #expect(tooSmall.answers.isEmpty)

            let noEDNS = try DNSMessage(
                try #require(
                    client.exchange(
                        DNSWire.query(
                            id: 4, name: "tm.example", type: RRType.ns))))
            #expect(noEDNS.tc, "without EDNS the limit is 512: \(noEDNS)")
            #expect(noEDNS.bytes.count <= 512)
            #expect(noEDNS.opt == nil)

            let maximum = try DNSMessage(
                try #require(
                    client.exchange(
                        DNSWire.query(
                            id: 5, name: "tm.example", type: RRType.ns, edns: EDNSSpec(udpSize: 1232)))))
            #expect(!maximum.tc)
            #expect(maximum.answers.count == 8)
        }
    }
}
