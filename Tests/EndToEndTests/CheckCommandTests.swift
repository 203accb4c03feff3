import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `edgetm check --config DIR`: exit 0 and an OK line, or exit 1 and every error as `FILE: JSON.PATH: message`.
@Suite("edgetm check")
struct CheckCommandTests {
    /// Three errors in profiles/app.json and one in profiles/web.json.
    static let brokenApp = """
        {
          "name": "app",
          "properties": {
            "profileStatus": "Enabled",
            "trafficRoutingMethod": "Priority",
            "dnsConfig": { "relativeName": "app", "ttl": 30 },
            "monitorConfig": { "protocol": "HTTP", "port": 8080, "path": "/health" },
            "bogusKey": true,
            "endpoints": [
              { "name": "mec-atlanta", "type": "externalEndpoints",
                "properties": { "target": "127.0.0.11", "endpointStatus": "Enabled", "priority": 1 } },
              { "name": "region-eastus", "type": "externalEndpoints",
                "properties": { "target": "127.0.0.12", "endpointStatus": "Enabled", "priority": 0 } },
              { "name": "mec-atlanta", "type": "externalEndpoints",
                "properties": { "target": "127.0.0.13", "endpointStatus": "Enabled", "priority": 3 } }
            ]
          }
        }
        """

    static let brokenWeb = TestConfig.profile(
        "web", ttl: -1,
        endpoints: [
            TestConfig.Endpoint(name: "edge", target: "192.0.2.80", priority: 1)
        ])

    static func brokenConfig() throws -> TestConfig {
        try TestConfig(server: TestConfig.server(), profiles: ["app.json": brokenApp, "web.json": brokenWeb])
    }

    /// `FILE: JSON.PATH: message`, the path without spaces.
    static func isIssueLine(_ line: String) -> Bool {
        line.range(of: #"^[^: ]+\.json: [^ :]+: \S.*$"#, options: .regularExpression) != nil
    }

    @Test("The bundled Config/ checks OK with exit status 0")
    func bundledConfigIsValid() throws {
        let result = try Command.edgetm(["check", "--config", Paths.bundledConfig.path])
        #expect(result.status == 0, "stderr:\n\(result.stderr)")
        #expect(result.stdout.contains("OK"), "stdout:\n\(result.stdout)")
        #expect(result.stderrLines.isEmpty, "no errors expected:\n\(result.stderr)")
    }

    @Test("A test configuration checks OK")
    func standardConfigIsValid() throws {
        let config = try TestConfig.standard()
        defer { config.remove() }
        let result = try Command.edgetm(["check", "--config", config.path])
        #expect(result.status == 0, "stderr:\n\(result.stderr)")
        #expect(result.stdout.contains("OK"))
    }

    @Test("A broken configuration exits 1 with one FILE: JSON.PATH: message line per error")
    func brokenConfigIsRefused() throws {
        let config = try Self.brokenConfig()
        defer { config.remove() }
        let result = try Command.edgetm(["check", "--config", config.path])
        #expect(result.status == 1, "stdout:\n\(result.stdout)\nstderr:\n\(result.stderr)")
        #expect(!result.stdout.contains("OK"))
        let lines = result.stderrLines
        #expect(
            lines.contains(
                "profiles/app.json: properties.endpoints[1].properties.priority: 0 is out of range 1...1000"),
            "stderr:\n\(result.stderr)")
        #expect(
            lines.contains {
                $0.hasPrefix("profiles/app.json: properties.endpoints[2].name: ")
                    && $0.contains("duplicate") && $0.contains("mec-atlanta")
            }, "stderr:\n\(result.stderr)")
        #expect(
            lines.contains { $0.hasPrefix("profiles/app.json: properties.bogusKey: ") && $0.contains("unknown") },
            "stderr:\n\(result.stderr)")
        #expect(
            lines.contains { $0.hasPrefix("profiles/web.json: properties.dnsConfig.ttl: ") && $0.contains("-1") },
            "every file's errors are reported: \(result.stderr)")
        #expect(lines.count == 4, "one line per error, nothing else:\n\(result.stderr)")
        for line in lines {
            #expect(Self.isIssueLine(line), "not FILE: JSON.PATH: message: \(line)")
        }
    }

    @Test("A profile nested 500 deep and one larger than 16 MiB are refused as FILE: $: message within 2 s")
    func oversizedAndDeepFilesAreRefused() throws {
        let deep =
            #"{ "name": "deep", "properties": "# + String(repeating: "[", count: 500)
            + String(repeating: "]", count: 500)
            + "}"
        let config = try TestConfig(
            server: TestConfig.server(), profiles: ["deep.json": deep, "web.json": Self.brokenWeb])
        defer { config.remove() }
        let big = config.url.appendingPathComponent("profiles/big.json").path
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        // Sparse: 17 MiB on paper, nothing on disk; refused by its size alone.
        #expect(truncate(big, 17 << 20) == 0)
        let start = Date()
        let result = try Command.edgetm(["check", "--config", config.path])
        #expect(Date().timeIntervalSince(start) < 2)
        #expect(result.status == 1, "stderr:\n\(result.stderr)")
        #expect(
            result.stderrLines.contains(
                "profiles/big.json: $: cannot be read: is 17825792 bytes, more than the limit of 16 MiB"),
            "stderr:\n\(result.stderr)")
        #expect(
            result.stderrLines.contains(
                "profiles/deep.json: $: is not valid JSON: nested deeper than 64 levels at line 1, column 96"),
            "stderr:\n\(result.stderr)")
        #expect(
            result.stderrLines.contains { $0.hasPrefix("profiles/web.json: properties.dnsConfig.ttl: ") },
            "the other files are still checked: \(result.stderr)")
    }

    @Test("A missing edgetm.json is reported as FILE: $: message with exit status 1")
    func missingServerFile() throws {
        let directory = try TemporaryDirectory("edgetm-e2e-empty")
        defer { directory.remove() }
        let result = try Command.edgetm(["check", "--config", directory.url.path])
        #expect(result.status == 1, "stderr:\n\(result.stderr)")
        #expect(result.stderrLines.contains { $0.hasPrefix("edgetm.json: ") }, "stderr:\n\(result.stderr)")
        #expect(
            result.stderrLines.allSatisfy { $0.range(of: #"^[^ ]+: [^ ]+: \S"#, options: .regularExpression) != nil },
            "stderr:\n\(result.stderr)")
    }

    @Test("serve refuses the broken configuration: non-zero exit, nothing served")
    func serveRefusesBrokenConfig() throws {
        let config = try Self.brokenConfig()
        defer { config.remove() }
        let port = try FreePort.pick()
        let result = try Command.edgetm(
            ["serve", "--config", config.path, "--listen", "127.0.0.1:\(port)"],
            timeout: 15)
        #expect(!result.timedOut, "serve kept running on a broken configuration")
        let termination = try #require(result.termination)
        #expect(termination.reason == .exit, "\(termination)")
        #expect(termination.status != 0, "\(termination)")
        #expect(result.stderr.contains("0 is out of range 1...1000"), "the errors are logged:\n\(result.stderr)")
        let client = try UDPClient(port: port)
        #expect(client.exchange(NormalQuery.make(id: 1), timeout: 0.3) == nil)
    }
}
