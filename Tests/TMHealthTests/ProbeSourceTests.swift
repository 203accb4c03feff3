import Foundation
import Logging
import TMHealth
import TMRouting
import TMTestSupport
import Testing

/// `probeSourceAddress` against a real local server that logs where each request came from: a probe leaves from
/// the source of its connection's family, and a source this host does not have fails the probe with the reason.
@Suite(.serialized)
struct ProbeSourceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let bind: String
        let target: String
        let sources: [String]
        /// The client address the server saw; nil: no request reached it.
        let client: String?
        let verdict: MonitorStatus
        let detail: String
        var testDescription: String { "\(target) from \(sources)" }
    }

    static let cases: [Case] = [
        Case(
            bind: "127.0.0.1", target: "127.0.0.1", sources: ["127.0.0.51"], client: "127.0.0.51", verdict: .online,
            detail: "HTTP 200"),
        Case(
            bind: "127.0.0.1", target: "127.0.0.1", sources: ["::1", "127.0.0.52"], client: "127.0.0.52",
            verdict: .online, detail: "HTTP 200"),
        Case(
            bind: "127.0.0.1", target: "127.0.0.1", sources: [], client: "127.0.0.1", verdict: .online,
            detail: "HTTP 200"),
        // No IPv6 source: the IPv6 connection is left unbound and still made.
        Case(bind: "::1", target: "::1", sources: ["127.0.0.51"], client: "::1", verdict: .online, detail: "HTTP 200"),
        Case(
            bind: "::1", target: "::1", sources: ["127.0.0.51", "::1"], client: "::1", verdict: .online,
            detail: "HTTP 200"),
        // A host name: the source follows the family curl connects with (localhost is 127.0.0.1 here).
        Case(
            bind: "127.0.0.1", target: "localhost", sources: ["127.0.0.53", "2001:db8::1"], client: "127.0.0.53",
            verdict: .online, detail: "HTTP 200"),
        // Not an address of this host: bind fails locally (EADDRNOTAVAIL), nothing is sent.
        Case(
            bind: "127.0.0.1", target: "127.0.0.1", sources: ["192.0.2.1"], client: nil, verdict: .degraded,
            detail: "cannot bind to probe source address 192.0.2.1: Cannot assign requested address"),
        // The IPv6 source is the one an IPv6 connection binds to, even with a usable IPv4 one.
        Case(
            bind: "::1", target: "::1", sources: ["127.0.0.51", "2001:db8::1"], client: nil, verdict: .degraded,
            detail: "cannot bind to probe source address 2001:db8::1: Cannot assign requested address"),
    ]

    /// A monitor probing one endpoint at `target` (`/health` on `port`) from `sources`, once its first result is in.
    static func probedOnce(port: Int, target: String, timeout: Double, sources: [IPAddress]) throws -> HealthMonitor {
        var config = MonitorConfig()
        config.port = port
        config.path = "/health"
        config.intervalSeconds = 30
        config.timeoutSeconds = timeout
        config.toleratedFailures = 0
        let endpoint = Endpoint(
            id: 0, name: "e0", target: try #require(EndpointTarget(target)), isEnabled: true, priority: 1)
        let profile = Profile(
            name: "app", fqdn: DomainName("app.tm.example")!, isEnabled: true, method: .priority, ttl: 30,
            monitor: config, endpoints: [endpoint])
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let monitor = try HealthMonitor(logger: logger)
        monitor.configure([profile], generation: 0, sourceAddresses: sources)
        startProbing(monitor) { _ in }
        #expect(eventually(within: 5) { monitor.endpoints.first?.lastResult != nil })
        return monitor
    }

    @Test(arguments: cases)
    func probeLeavesFromTheSourceOfItsFamily(_ testCase: Case) throws {
        let server = try LocalEndpoint(bind: testCase.bind)
        defer { server.stop() }
        let monitor = try Self.probedOnce(
            port: server.port, target: testCase.target, timeout: 2,
            sources: testCase.sources.compactMap(IPAddress.init))
        defer { monitor.stop() }
        let state = try #require(monitor.endpoints.first)
        #expect(state.verdict == testCase.verdict)
        #expect(state.lastResult?.description == testCase.detail)
        if let client = testCase.client {
            #expect(eventually(within: 2) { !server.clients.isEmpty })
            #expect(server.clients == [client])
        } else {
            usleep(100_000)
            #expect(server.clients.isEmpty)
        }
    }

    /// `endpoint.py --refuse-file`, which fleet tests use to make one vantage point (one source) lose an endpoint:
    /// listed clients are closed on or hung, read afresh for every connection; the others are answered.
    @Test func refuseFileSetsOneSourceApart() throws {
        let refuseFile = FileManager.default.temporaryDirectory.appendingPathComponent("edgetm-refuse-\(UUID())")
        defer { try? FileManager.default.removeItem(at: refuseFile) }
        let server = try LocalEndpoint(refuseFile: refuseFile)
        defer { server.stop() }
        func probe(from source: String) throws -> String? {
            let monitor = try Self.probedOnce(
                port: server.port, target: "127.0.0.1", timeout: 0.5, sources: [IPAddress(source)!])
            defer { monitor.stop() }
            return monitor.endpoints.first?.lastResult?.description
        }
        #expect(try probe(from: "127.0.0.51") == "HTTP 200", "a missing file refuses no one")
        try "# vantage point 1 loses the endpoint\n127.0.0.51\n127.0.0.54 hang\n".write(
            to: refuseFile, atomically: true, encoding: .utf8)
        #expect(try probe(from: "127.0.0.51") == "Server returned nothing (no headers, no data)")
        #expect(try probe(from: "127.0.0.54") == "timeout after 0.5 s")
        #expect(try probe(from: "127.0.0.52") == "HTTP 200")
        #expect(server.clients == ["127.0.0.51", "127.0.0.52"])
    }

    /// Endpoints with equal specs still share one probe: a source of the other family does not set them apart.
    @Test func sourcesOfTheOtherFamilyDoNotChangeTheSpec() throws {
        let profile = Profile(
            name: "app", fqdn: DomainName("app.tm.example")!, isEnabled: true, method: .priority, ttl: 30,
            monitor: MonitorConfig(),
            endpoints: ["127.0.0.11", "::1", "app.example"].enumerated().map { index, target in
                Endpoint(id: index, name: "e\(index)", target: EndpointTarget(target)!, isEnabled: true, priority: 1)
            })
        let v4 = IPAddress("127.0.0.51")!
        let v6 = IPAddress("::1")!
        let spec = { (index: Int, sources: [IPAddress]) in
            ProbeSpec(profile: profile, endpoint: profile.endpoints[index], sourceAddresses: sources)
        }
        #expect(spec(0, [v4]) == spec(0, [v4, v6]))
        #expect(spec(0, [v6]) == spec(0, []))
        #expect(spec(0, [v4]) != spec(0, []))
        #expect(spec(1, [v4, v6]).sourceV6 == v6 && spec(1, [v4, v6]).sourceV4 == nil)
        #expect(spec(2, [v4, v6]).sourceV4 == v4 && spec(2, [v4, v6]).sourceV6 == v6)
    }
}
