import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Health probing end to end: real HTTP endpoints on loopback, the real daemon, answers read with dig.
@Suite("failover and failback", .serialized)
struct FailoverTests {
    /// A stand-in service (`scripts/endpoint.py`) on one loopback address and port.
    final class HTTPEndpoint {
        let address: String
        let port: UInt16
        /// Seconds each request waits before its answer: a hung service, when longer than the probe timeout.
        let delay: Double
        /// More `endpoint.py` options (`--alternate 200,503`, `--body TEXT`, ...).
        private(set) var arguments: [String]
        private let directory: TemporaryDirectory
        private var child: ManagedProcess?

        init(address: String, port: UInt16, delay: Double = 0, arguments: [String] = []) throws {
            self.address = address
            self.port = port
            self.delay = delay
            self.arguments = arguments
            directory = try TemporaryDirectory("edgetm-e2e-endpoint")
            try start()
        }

        /// Starts it again, with other options: the same service, changed.
        func start(arguments: [String]) throws {
            self.arguments = arguments
            try start()
        }

        func start() throws {
            let log = directory.file("endpoint-\(UUID()).log")
            let script = Paths.packageRoot.appendingPathComponent("scripts/endpoint.py").path
            let child = try ManagedProcess(
                executable: URL(fileURLWithPath: "/usr/bin/env"),
                arguments: [
                    "python3", script, "--bind", address, "--port", "\(port)",
                    "--delay", "\(delay)",
                ] + arguments,
                stdout: log, stderr: log)
            self.child = child
            let deadline = Date().addingTimeInterval(10)
            while !child.stdout.contains("ready") {
                guard Date() < deadline, child.isRunning else {
                    throw HarnessError("endpoint \(address):\(port) did not start: \(child.stdout)")
                }
                usleep(20_000)
            }
        }

        /// Killed outright, as a crashed service: probes then see "connection refused".
        func kill() {
            child?.send(SIGKILL)
            child?.waitForExit(timeout: 5)
            child = nil
        }

        deinit {
            kill()
            directory.remove()
        }
    }

    static func profile(port: UInt16) -> String {
        // Priority 1 is disabled but healthy: it must never be answered, not even when all others are down.
        """
        {
          "name": "app",
          "properties": {
            "trafficRoutingMethod": "Priority",
            "dnsConfig": { "relativeName": "app", "ttl": 5 },
            "monitorConfig": { "protocol": "HTTP", "port": \(port), "path": "/health",
                               "intervalInSeconds": 0.25, "timeoutInSeconds": 0.2, "toleratedNumberOfFailures": 0 },
            "endpoints": [
              { "name": "disabled", "type": "externalEndpoints",
                "properties": { "target": "127.0.0.10", "endpointStatus": "Disabled", "priority": 1 } },
              { "name": "mec", "type": "externalEndpoints", "properties": { "target": "127.0.0.11", "priority": 2 } },
              { "name": "region", "type": "externalEndpoints", "properties": { "target": "127.0.0.12", "priority": 3 } }
            ]
          }
        }
        """
    }

    static func pinned(port: UInt16) -> String {
        // alwaysServe: never probed, always eligible, so it is answered although nothing listens on it.
        """
        {
          "name": "pinned",
          "properties": {
            "trafficRoutingMethod": "Priority",
            "dnsConfig": { "relativeName": "pinned", "ttl": 5 },
            "monitorConfig": { "protocol": "HTTP", "port": \(port), "path": "/health",
                               "intervalInSeconds": 0.25, "timeoutInSeconds": 0.2, "toleratedNumberOfFailures": 0 },
            "endpoints": [
              { "name": "unmonitored", "type": "externalEndpoints",
                "properties": { "target": "127.0.0.14", "priority": 1, "alwaysServe": "Enabled" } },
              { "name": "mec", "type": "externalEndpoints", "properties": { "target": "127.0.0.11", "priority": 2 } }
            ]
          }
        }
        """
    }

    /// Polls `name` every 50 ms until it answers `expected`; returns the seconds it took, or nil.
    static func seconds(
        until name: String, answers expected: String, server: ServerProcess,
        within limit: Double = 5
    ) throws -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < limit {
            if try server.dig([name, "A"]).answerData("A") == [expected] { return Date().timeIntervalSince(start) }
            usleep(50_000)
        }
        return nil
    }

    @Test("MEC down -> region; MEC back -> failback; all down -> fail open; Disabled and alwaysServe rules")
    func failoverCycle() throws {
        let port = try FreePort.pick()
        let disabled = try HTTPEndpoint(address: "127.0.0.10", port: port)
        let mec = try HTTPEndpoint(address: "127.0.0.11", port: port)
        let region = try HTTPEndpoint(address: "127.0.0.12", port: port)
        _ = disabled
        let config = try TestConfig(
            server: TestConfig.server(),
            profiles: [
                "app.json": Self.profile(port: port),
                "pinned.json": Self.pinned(port: port),
            ])
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            #expect(try Self.seconds(until: "app.tm.example", answers: "127.0.0.11", server: server) != nil)
            #expect(try server.dig(["pinned.tm.example", "A"]).answerData("A") == ["127.0.0.14"])

            mec.kill()
            let failover = try Self.seconds(until: "app.tm.example", answers: "127.0.0.12", server: server)
            // interval × (N+1) + timeout, with room for a loaded CI machine.
            #expect(try #require(failover) < 2.0)

            try mec.start()
            let failback = try Self.seconds(until: "app.tm.example", answers: "127.0.0.11", server: server)
            #expect(try #require(failback) < 2.0)

            mec.kill()
            region.kill()
            // Both degrade; answers fail open to priority order, skipping the disabled endpoint.
            #expect(eventuallyTrue(within: 5) { server.log.contains("failing open") }, "\(server.log)")
            for _ in 0..<5 {
                #expect(try server.dig(["app.tm.example", "A"]).answerData("A") == ["127.0.0.11"])
                usleep(100_000)
            }
            #expect(try server.dig(["pinned.tm.example", "A"]).answerData("A") == ["127.0.0.14"])
            #expect(server.log.contains("from=Online") && server.log.contains("to=Degraded"))
            #expect(server.log.contains("reason=connection refused"))
        }
    }

    @Test("probes go to the endpoint itself, whatever proxy the environment names")
    func probesIgnoreProxyVariables() throws {
        let port = try FreePort.pick()
        let mec = try HTTPEndpoint(address: "127.0.0.11", port: port)
        let region = try HTTPEndpoint(address: "127.0.0.12", port: port)
        _ = (mec, region)
        // A proxy that refuses every connection: a probe sent through it would fail.
        let deadProxy = "http://127.0.0.1:\(try FreePort.pick())"
        let config = try TestConfig(server: TestConfig.server(), profiles: ["app.json": Self.profile(port: port)])
        defer { config.remove() }
        let environment = [
            "http_proxy": deadProxy, "HTTP_PROXY": deadProxy, "https_proxy": deadProxy,
            "all_proxy": deadProxy, "ALL_PROXY": deadProxy,
        ]
        try ServerProcess.with(config: config.url, environment: environment) { (server: ServerProcess) throws in
            #expect(
                eventuallyTrue(within: 5) { server.log.contains("endpoint=mec") && server.log.contains("to=Online") },
                "\(server.log)")
            usleep(1_000_000)
            #expect(!server.log.contains("to=Degraded"), "\(server.log)")
            #expect(try server.dig(["app.tm.example", "A"]).answerData("A") == ["127.0.0.11"])
        }
    }
}

/// Polls `condition` every 50 ms for at most `seconds`.
func eventuallyTrue(within seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}
