import Foundation
import Logging
import TMHealth
import TMRouting
import TMTestSupport
import Testing

/// The probe I/O against real local HTTP, HTTPS and TCP servers, through the real HealthMonitor and libcurl.
@Suite(.serialized)
struct ProbeIOTests {
    /// A monitor over one profile whose endpoints are the given targets on `port`; stopped on deinit of the run.
    static func monitor(_ monitor: MonitorConfig, targets: [(String, [HTTPHeader])]) throws -> HealthMonitor {
        let endpoints = targets.enumerated().map { index, target in
            Endpoint(
                id: index, name: "e\(index)", target: EndpointTarget(target.0)!, isEnabled: true,
                priority: index + 1, customHeaders: target.1)
        }
        let profile = Profile(
            name: "app", fqdn: DomainName("app.tm.example")!, isEnabled: true, method: .priority,
            ttl: 30, monitor: monitor, endpoints: endpoints)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let health = try HealthMonitor(logger: logger)
        health.configure([profile], generation: 0)
        startProbing(health) { _ in }
        return health
    }

    static func config(
        _ probeProtocol: MonitorConfig.ProbeProtocol = .http, port: Int, interval: Double = 0.3,
        timeout: Double = 0.25, tolerated: Int = 0
    ) -> MonitorConfig {
        var config = MonitorConfig()
        config.probeProtocol = probeProtocol
        config.port = port
        config.path = probeProtocol == .tcp ? nil : "/health"
        config.intervalSeconds = interval
        config.timeoutSeconds = timeout
        config.toleratedFailures = tolerated
        return config
    }

    /// The first endpoint's state once it has a result.
    static func firstResult(_ monitor: HealthMonitor, within seconds: Double = 5) throws -> EndpointHealth {
        #expect(eventually(within: seconds) { monitor.endpoints.first?.lastResult != nil })
        return try #require(monitor.endpoints.first)
    }

    struct StatusCase: Sendable, CustomTestStringConvertible {
        let status: Int
        let expected: [ClosedRange<Int>]?
        let health: MonitorStatus
        let detail: String
        var testDescription: String { "HTTP \(status) with \(expected.map { "\($0)" } ?? "default") expected" }
    }

    static let statusCases: [StatusCase] = [
        StatusCase(status: 200, expected: nil, health: .online, detail: "HTTP 200"),
        StatusCase(status: 204, expected: nil, health: .degraded, detail: "HTTP 204"),
        StatusCase(status: 204, expected: [200...299], health: .online, detail: "HTTP 204"),
        StatusCase(status: 301, expected: nil, health: .degraded, detail: "HTTP 301"),
        StatusCase(status: 301, expected: [200...200, 301...302], health: .online, detail: "HTTP 301"),
        StatusCase(status: 503, expected: nil, health: .degraded, detail: "HTTP 503"),
        StatusCase(status: 404, expected: [200...399], health: .degraded, detail: "HTTP 404"),
    ]

    @Test(arguments: statusCases)
    func statusCodes(_ testCase: StatusCase) throws {
        // A redirect target that would answer 200 if it were followed: it must not be.
        let redirectTarget = try LocalEndpoint(status: 200)
        defer { redirectTarget.stop() }
        let server = try LocalEndpoint(
            status: testCase.status,
            location: "http://127.0.0.1:\(redirectTarget.port)/health")
        defer { server.stop() }
        var config = Self.config(port: server.port)
        if let expected = testCase.expected { config.expectedStatusCodes = expected }
        let monitor = try Self.monitor(config, targets: [("127.0.0.1", [])])
        defer { monitor.stop() }
        let state = try Self.firstResult(monitor)
        #expect(state.verdict == testCase.health)
        #expect(state.lastResult?.description == testCase.detail)
        #expect(redirectTarget.requests.isEmpty)
    }

    struct BodyCase: Sendable, CustomTestStringConvertible {
        let status: Int
        let text: String
        let offset: Int
        let size: Int?
        let expected: String
        let health: MonitorStatus
        let detail: String
        var testDescription: String {
            "\"\(expected)\" in HTTP \(status), text at \(offset) of \(size.map(String.init) ?? "a short body")"
        }
    }

    static let hundredMegabytes = 100_000_000

    static let bodyCases: [BodyCase] = [
        BodyCase(status: 200, text: "ok\n", offset: 0, size: nil, expected: "ok", health: .online, detail: "HTTP 200"),
        BodyCase(
            status: 200, text: "ok\n", offset: 0, size: nil, expected: "healthy", health: .degraded,
            detail: "body did not contain the expected text (3 bytes read)"),
        // The status is judged first: a 503 fails as a 503 whatever its body says.
        BodyCase(
            status: 503, text: "ok\n", offset: 0, size: nil, expected: "ok", health: .degraded, detail: "HTTP 503"),
        // Ends on byte 5,120: found. One byte later: not within the first 5,120 bytes, so not found.
        BodyCase(
            status: 200, text: "HEALTHY", offset: 5_113, size: nil, expected: "HEALTHY", health: .online,
            detail: "HTTP 200"),
        BodyCase(
            status: 200, text: "HEALTHY", offset: 5_114, size: nil, expected: "HEALTHY", health: .degraded,
            detail: "body did not contain the expected text (5120 bytes read)"),
        BodyCase(
            status: 200, text: "HEALTHY", offset: 100, size: hundredMegabytes, expected: "HEALTHY", health: .online,
            detail: "HTTP 200"),
        BodyCase(
            status: 200, text: "HEALTHY", offset: 10_000, size: hundredMegabytes, expected: "HEALTHY",
            health: .degraded, detail: "body did not contain the expected text (5120 bytes read)"),
    ]

    /// The body check against a real server; a 100 MB body is read only as far as its first 5,120 bytes.
    @Test(arguments: bodyCases)
    func expectedBody(_ testCase: BodyCase) throws {
        let server = try LocalEndpoint(
            status: testCase.status,
            body: LocalEndpoint.Body(text: testCase.text, offset: testCase.offset, size: testCase.size))
        defer { server.stop() }
        // One probe only (the interval is longer than the test), with time enough to download 100 MB if it tried.
        var config = Self.config(port: server.port, interval: 30, timeout: 20)
        config.expectedBody = testCase.expected
        let monitor = try Self.monitor(config, targets: [("127.0.0.1", [])])
        defer { monitor.stop() }
        let state = try Self.firstResult(monitor, within: 20)
        #expect(state.verdict == testCase.health)
        #expect(state.lastResult?.description == testCase.detail)
        #expect(eventually(within: 5) { !server.sends.isEmpty })
        let send = try #require(server.sends.first)
        #expect(send.length == testCase.size ?? testCase.offset + testCase.text.utf8.count)
        if let size = testCase.size {
            // The probe stopped reading and hung up: what left the server is what the sockets' buffers held
            // (64 to 192 KiB here), not 1 % of the body.
            #expect(!send.complete)
            #expect(send.sent < size / 100, "sent \(send.sent) of \(size) bytes")
            #expect(try #require(state.lastResult?.latency) < 1)
        } else {
            #expect(send.complete)
        }
    }

    @Test func connectionRefused() throws {
        let monitor = try Self.monitor(Self.config(port: try freePort()), targets: [("127.0.0.1", [])])
        defer { monitor.stop() }
        let state = try Self.firstResult(monitor)
        #expect(state.verdict == .degraded)
        #expect(state.lastResult?.description == "connection refused")
    }

    @Test func timeout() throws {
        let server = try LocalEndpoint(status: 200, delay: 2)
        defer { server.stop() }
        let monitor = try Self.monitor(
            Self.config(port: server.port, interval: 1, timeout: 0.5), targets: [("127.0.0.1", [])])
        defer { monitor.stop() }
        let state = try Self.firstResult(monitor)
        #expect(state.verdict == .degraded)
        #expect(state.lastResult?.description == "timeout after 0.5 s")
        #expect(try #require(state.lastResult?.latency) < 1.0)
    }

    @Test func customHeadersAndHostReachTheServer() throws {
        let server = try LocalEndpoint()
        defer { server.stop() }
        var config = Self.config(port: server.port)
        config.customHeaders = [
            HTTPHeader(name: "X-Profile", value: "p"), HTTPHeader(name: "X-Both", value: "profile"),
        ]
        // "localhost" is a DNS-name target that curl resolves without any DNS traffic.
        let monitor = try Self.monitor(
            config,
            targets: [
                ("localhost", [HTTPHeader(name: "x-both", value: "endpoint")])
            ])
        defer { monitor.stop() }
        #expect(eventually(within: 5) { !server.requests.isEmpty })
        let headers = try #require(server.requests.first)
        #expect(headers["X-Profile"] == "p")
        #expect(headers["x-both"] == "endpoint" && headers["X-Both"] == nil)
        #expect(headers["Host"] == "localhost:\(server.port)")
    }

    @Test func customHostHeaderWins() throws {
        let server = try LocalEndpoint()
        defer { server.stop() }
        var config = Self.config(port: server.port)
        config.customHeaders = [HTTPHeader(name: "Host", value: "app.example.com")]
        let monitor = try Self.monitor(config, targets: [("127.0.0.1", [])])
        defer { monitor.stop() }
        #expect(eventually(within: 5) { !server.requests.isEmpty })
        #expect(server.requests.first?["Host"] == "app.example.com")
    }

    @Test func httpsWithSelfSignedCertificate() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("edgetm-tls-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
            "-days", "1", "-subj", "/CN=edgetm-test",
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0)
        let server = try LocalEndpoint(tls: (cert, key))
        defer { server.stop() }
        let lax = try Self.monitor(
            Self.config(.https, port: server.port, interval: 1, timeout: 0.9),
            targets: [("127.0.0.1", [])])
        defer { lax.stop() }
        let accepted = try Self.firstResult(lax)
        #expect(accepted.verdict == .online)
        var strict = Self.config(.https, port: server.port, interval: 1, timeout: 0.9)
        strict.verifyCertificate = true
        let verifying = try Self.monitor(strict, targets: [("127.0.0.1", [])])
        defer { verifying.stop() }
        let refused = try Self.firstResult(verifying)
        #expect(refused.verdict == .degraded)
        #expect(refused.lastResult?.description == "TLS handshake failed")
    }

    @Test func tcpProbes() throws {
        let server = try LocalEndpoint()
        defer { server.stop() }
        let open = try Self.monitor(Self.config(.tcp, port: server.port), targets: [("127.0.0.1", [])])
        defer { open.stop() }
        let connected = try Self.firstResult(open)
        #expect(connected.verdict == .online)
        #expect(connected.lastResult?.description == "TCP connected")
        // A TCP probe sends no HTTP request.
        #expect(server.requests.isEmpty)
        let closed = try Self.monitor(Self.config(.tcp, port: try freePort()), targets: [("127.0.0.1", [])])
        defer { closed.stop() }
        #expect(try Self.firstResult(closed).lastResult?.description == "connection refused")
    }

    @Test func hungEndpointDoesNotDelayOthers() throws {
        let hung = try LocalEndpoint(delay: 10)
        defer { hung.stop() }
        let healthy = try LocalEndpoint()
        defer { healthy.stop() }
        // Two profiles' worth of probes in one monitor: one hangs until its 2.5 s timeout, the other runs every 0.2 s.
        let slow = Profile(
            name: "slow", fqdn: DomainName("slow.tm.example")!, isEnabled: true, method: .priority,
            ttl: 30, monitor: Self.config(port: hung.port, interval: 3, timeout: 2.5),
            endpoints: [
                Endpoint(
                    id: 0, name: "hung", target: EndpointTarget("127.0.0.1")!,
                    isEnabled: true, priority: 1)
            ])
        let fast = Profile(
            name: "fast", fqdn: DomainName("fast.tm.example")!, isEnabled: true, method: .priority,
            ttl: 30, monitor: Self.config(port: healthy.port, interval: 0.2, timeout: 0.15),
            endpoints: [
                Endpoint(
                    id: 1, name: "ok", target: EndpointTarget("127.0.0.1")!,
                    isEnabled: true, priority: 1)
            ])
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let monitor = try HealthMonitor(logger: logger)
        monitor.configure([slow, fast], generation: 0)
        startProbing(monitor) { _ in }
        defer { monitor.stop() }
        usleep(1_500_000)
        // While the hung probe is still waiting for its timeout, the healthy one kept its 0.2 s rhythm.
        #expect(monitor.endpoints[0].lastResult == nil)
        #expect(healthy.requests.count >= 5)
        #expect(monitor.endpoints[1].verdict == .online)
    }

    @Test func updatesAreReportedOnChangeOnly() throws {
        let server = try LocalEndpoint()
        defer { server.stop() }
        let updates = UpdateLog()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let monitor = try HealthMonitor(logger: logger)
        let profile = Profile(
            name: "app", fqdn: DomainName("app.tm.example")!, isEnabled: true, method: .priority,
            ttl: 30, monitor: Self.config(port: server.port, interval: 0.2, timeout: 0.15),
            endpoints: [
                Endpoint(
                    id: 0, name: "e0", target: EndpointTarget("127.0.0.1")!,
                    isEnabled: true, priority: 1)
            ])
        monitor.configure([profile], generation: 7)
        startProbing(monitor) { updates.append($0) }
        defer { monitor.stop() }
        #expect(eventually(within: 5) { server.requests.count >= 4 })
        // Several probes, one change (CheckingEndpoint -> Online).
        #expect(updates.all.map(\.health.verdicts) == [[.online]])
        #expect(updates.all.map(\.generation) == [7])
        #expect(monitor.firstRoundComplete)
    }
}

final class UpdateLog: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var updates: [HealthReport] = []

    func append(_ update: HealthReport) { lock.withLock { updates.append(update) } }
    var all: [HealthReport] { lock.withLock { updates } }
}
