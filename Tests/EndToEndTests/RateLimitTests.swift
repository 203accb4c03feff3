import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Response rate limiting against the real binary, with raw UDP clients on several loopback addresses (all of
/// 127.0.0.0/8 is local on Linux). The tests configure their own `exempt` list, empty, so loopback is limited.
@Suite("response rate limiting")
struct RateLimitTests {
    static func config(rate: Int, slip: Int, cookies: Bool = false, httpPort: UInt16? = nil) throws -> TestConfig {
        var extra: [String: Any] = [
            "rateLimit": [
                "responsesPerSecond": rate, "slip": slip, "window": 5, "ipv4PrefixLength": 32, "exempt": [String](),
            ] as [String: Any]
        ]
        if cookies { extra["cookies"] = ["secretFile": "cookie.secret"] }
        if let httpPort { extra["http"] = ["listen": ["127.0.0.1:\(httpPort)"]] }
        return try TestConfig(
            server: TestConfig.server(extra: extra),
            profiles: [
                "app.json": TestConfig.profile(
                    "app", endpoints: [TestConfig.Endpoint(name: "a", target: "127.0.0.11", priority: 1)])
            ])
    }

    struct Tally {
        var full = 0
        var truncated = 0
        var other = 0
    }

    /// Sends `count` A queries for app.tm.example (in bursts of 50, so that no socket buffer overflows and every
    /// query reaches the server), then reads replies until none comes for half a second.
    static func flood(_ client: UDPClient, count: Int, edns: EDNSSpec? = nil) throws -> Tally {
        for id in 0..<count {
            client.send(DNSWire.query(id: UInt16(id), name: "app.tm.example", type: RRType.a, edns: edns))
            if id % 50 == 49 { usleep(2000) }
        }
        var tally = Tally()
        while let reply = client.receive(timeout: 0.5) {
            let message = try DNSMessage(reply)
            if !message.tc, message.answers.count == 1, message.rcode == RCode.noError {
                tally.full += 1
            } else if message.tc, message.answers.isEmpty, message.questions.count == 1 {
                tally.truncated += 1
            } else {
                tally.other += 1
            }
        }
        return tally
    }

    @Test("a flood from one address is limited with the configured slip; another address is answered")
    func floodIsLimitedWithSlip() throws {
        let httpPort = try FreePort.pick()
        let config = try Self.config(rate: 10, slip: 2, httpPort: httpPort)
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            let started = Date()
            let flood = try Self.flood(try server.udpClient(source: "127.0.0.2"), count: 500)
            let seconds = Date().timeIntervalSince(started)
            // One second's credit at once, then 10 more per second (the flood takes well under one).
            #expect(flood.full >= 10 && Double(flood.full) <= 10 * (1 + seconds.rounded(.up)), "\(flood)")
            #expect(flood.other == 0)
            // Of the responses over the rate every second one is sent truncated, the others are dropped.
            let limited = 500 - flood.full
            #expect(flood.truncated == limited / 2, "\(flood)")

            let other = try server.udpClient(source: "127.0.0.3")
            for id in UInt16(1)...5 {
                let reply = try #require(
                    other.exchange(DNSWire.query(id: id, name: "app.tm.example", type: RRType.a)))
                let message = try DNSMessage(reply)
                #expect(!message.tc && message.answers.first?.address == "127.0.0.11")
            }

            // The listeners hand their counts over once a second; the zone status shows them.
            let expected = "rrl-dropped=\(limited - flood.truncated) rrl-slipped=\(flood.truncated)"
            var line = ""
            #expect(
                eventuallyTrue(within: 5) {
                    line = (try? OperationsTests.txt(server.dig(["tm.example", "TXT", "-c", "CH"])).first) ?? ""
                    return line.hasSuffix(expected)
                }, "\(line) does not end with \(expected)")
            // And /metrics counts the same.
            let metrics = try Command.run(
                URL(fileURLWithPath: "/usr/bin/curl"),
                ["-s", "--max-time", "5", "http://127.0.0.1:\(httpPort)/metrics"])
            #expect(
                MetricsTests.value(metrics.stdout, #"edgetm_dns_rate_limited_total{action="dropped"}"#)
                    == Double(limited - flood.truncated), "\(metrics.stdout.prefix(300))")
            #expect(
                MetricsTests.value(metrics.stdout, #"edgetm_dns_rate_limited_total{action="slipped"}"#)
                    == Double(flood.truncated))
        }
    }

    @Test("TCP and queries with a valid server cookie are not limited; slip 0 drops every response over the rate")
    func tcpAndValidCookiesAreNotLimited() throws {
        let config = try Self.config(rate: 5, slip: 0, cookies: true)
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            let client = try server.udpClient(source: "127.0.0.2")
            let clientCookie: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
            let first = try DNSMessage(
                try #require(
                    client.exchange(
                        DNSWire.query(
                            id: 0xc00c, name: "app.tm.example", type: RRType.a,
                            edns: EDNSSpec(options: CookieInteropTests.option(clientCookie))))))
            let cookie = try #require(CookieInteropTests.cookie(in: first))
            #expect(cookie.count == 24)

            let clientOnly = try Self.flood(
                client, count: 100, edns: EDNSSpec(options: CookieInteropTests.option(clientCookie)))
            #expect(clientOnly.full <= 10 && clientOnly.truncated == 0 && clientOnly.other == 0, "\(clientOnly)")

            let valid = try Self.flood(client, count: 100, edns: EDNSSpec(options: CookieInteropTests.option(cookie)))
            #expect(valid.full == 100, "\(valid)")

            let sameNetwork = try Self.flood(try server.udpClient(), count: 100)
            #expect(sameNetwork.full <= 10, "127.0.0.1 is limited over UDP: \(sameNetwork)")
            let tcp = try server.tcpClient()
            for id in UInt16(1)...20 {
                let reply = try #require(
                    try tcp.exchange(DNSWire.query(id: id, name: "app.tm.example", type: RRType.a)))
                #expect(try DNSMessage(reply).answers.first?.address == "127.0.0.11")
            }
        }
    }
}
