import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `dnsConfig.adaptiveTtl` end to end: the real daemon probing real HTTP endpoints, TTLs read with dig at each stage
/// of a failover and failback.
@Suite("adaptive TTL", .serialized)
struct AdaptiveTTLTests {
    typealias HTTPEndpoint = FailoverTests.HTTPEndpoint

    /// A Priority profile (mec 127.0.0.11, region 127.0.0.12), TTL 30, probed every 1 s with 2 tolerated failures.
    static func priority(_ name: String, port: UInt16, adaptive: Bool) -> String {
        """
        { "name": "\(name)", "properties": { "trafficRoutingMethod": "Priority",
          "dnsConfig": { "relativeName": "\(name)", "ttl": 30, "adaptiveTtl": \(adaptive) },
          "monitorConfig": { "protocol": "HTTP", "port": \(port), "path": "/health",
                             "intervalInSeconds": 1, "timeoutInSeconds": 0.5, "toleratedNumberOfFailures": 2 },
          "endpoints": [
            { "name": "mec", "type": "externalEndpoints", "properties": { "target": "127.0.0.11", "priority": 1 } },
            { "name": "region", "type": "externalEndpoints", "properties": { "target": "127.0.0.12", "priority": 2 } }
          ] } }
        """
    }

    /// A Geographic parent with adaptiveTtl over the Priority child `plain`, which has none.
    static let geo = """
        { "name": "geo", "properties": { "trafficRoutingMethod": "Geographic",
          "dnsConfig": { "relativeName": "geo", "ttl": 30, "adaptiveTtl": true },
          "endpoints": [
            { "name": "everyone", "type": "nestedEndpoints",
              "properties": { "target": "plain", "geoMapping": ["WORLD"] } }
          ] } }
        """

    struct Answer: Equatable, CustomStringConvertible {
        let address: String
        let ttl: Int
        var description: String { "\(address)/\(ttl)" }
    }

    static func answer(_ name: String, _ server: ServerProcess) throws -> Answer? {
        try server.dig(["\(name).tm.example", "A"]).answer.first.map { Answer(address: $0.data, ttl: $0.ttl) }
    }

    /// Polls the three names every 50 ms until `app` answers `until` (or `limit` seconds pass); returns what each
    /// name answered, each change once, in order.
    static func watch(
        _ server: ServerProcess, until: Answer, within limit: Double
    ) throws -> [String: [Answer]] {
        var seen: [String: [Answer]] = [:]
        let deadline = Date().addingTimeInterval(limit)
        while Date() < deadline {
            for name in ["app", "geo", "plain"] {
                if let answer = try answer(name, server), seen[name]?.last != answer {
                    seen[name, default: []].append(answer)
                }
            }
            if seen["app"]?.last == until { break }
            usleep(50_000)
        }
        return seen
    }

    @Test("TTL 30 while healthy; 2 then 1 after failed probes; 1 while failed over; 30 after failback")
    func ttlFollowsHealth() throws {
        let port = try FreePort.pick()
        let mec = try HTTPEndpoint(address: "127.0.0.11", port: port)
        let region = try HTTPEndpoint(address: "127.0.0.12", port: port)
        _ = region
        let config = try TestConfig(
            server: TestConfig.server(),
            profiles: [
                "app.json": Self.priority("app", port: port, adaptive: true),
                "plain.json": Self.priority("plain", port: port, adaptive: false),
                "geo.json": Self.geo,
            ])
        defer { config.remove() }
        let mecAnswer = Answer(address: "127.0.0.11", ttl: 30)
        try ServerProcess.with(config: config.url) { server in
            #expect(eventuallyTrue(within: 5) { (try? Self.answer("app", server)) == mecAnswer })
            for name in ["geo", "plain"] { #expect(try Self.answer(name, server) == mecAnswer, "\(name)") }

            // Killed: probes are refused. The first failure leaves two more to go (0.9x s to the next probe, then
            // at least 0.9 s): TTL 2; the second leaves one: TTL 1; the third fails over, and the region is
            // answered until the MEC could be back, on the next probe: TTL 1.
            mec.kill()
            let failover = try Self.watch(server, until: Answer(address: "127.0.0.12", ttl: 1), within: 6)
            let expected = [
                mecAnswer, Answer(address: "127.0.0.11", ttl: 2), Answer(address: "127.0.0.11", ttl: 1),
                Answer(address: "127.0.0.12", ttl: 1),
            ]
            #expect(failover["app"] == expected, "\(server.log)")
            // The Geographic parent's answer follows its nested child's health (its first sample may already
            // follow the first failure, which can come right after the kill); the child's own name, without
            // adaptiveTtl, keeps the profile's TTL through all of it.
            #expect(failover["geo"]?.contains(Answer(address: "127.0.0.11", ttl: 2)) == true, "\(failover)")
            #expect(failover["plain"]?.allSatisfy { $0.ttl == 30 } == true, "\(failover)")

            // Failed probes of a Degraded endpoint change nothing: the failover answer stays at 1 s, unchanged.
            usleep(2_500_000)
            #expect(try Self.answer("app", server) == Answer(address: "127.0.0.12", ttl: 1))
            #expect(try Self.answer("geo", server) == Answer(address: "127.0.0.12", ttl: 1))
            #expect(try Self.answer("plain", server) == Answer(address: "127.0.0.12", ttl: 30))

            try mec.start()
            let failback = try Self.watch(server, until: mecAnswer, within: 4)
            #expect(failback["app"]?.last == mecAnswer, "\(failback)\n\(server.log)")
            #expect(eventuallyTrue(within: 2) { (try? Self.answer("geo", server)) == mecAnswer })
            #expect(try Self.answer("plain", server) == mecAnswer)
        }
    }
}
