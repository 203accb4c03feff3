import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Operating edgetm: status over DNS, reloads, systemd's notify protocol and unit, health across restarts.
@Suite("operations", .serialized)
struct OperationsTests {
    static func profile(
        _ name: String, port: UInt16, interval: Double = 1, timeout: Double = 0.5,
        endpoints: [(String, String)]
    ) -> String {
        let list = endpoints.enumerated().map { index, endpoint in
            #"{ "name": "\#(endpoint.0)", "type": "externalEndpoints", "properties": { "target": "\#(endpoint.1)", "priority": \#(index + 1) } }"#
        }.joined(separator: ",\n")
        return """
            { "name": "\(name)", "properties": { "trafficRoutingMethod": "Priority",
              "dnsConfig": { "relativeName": "\(name)", "ttl": 5 },
              "monitorConfig": { "protocol": "HTTP", "port": \(port), "path": "/health",
                                 "intervalInSeconds": \(interval), "timeoutInSeconds": \(timeout),
                                 "toleratedNumberOfFailures": 0 },
              "endpoints": [\(list)] } }
            """
    }

    static func txt(_ response: DigResponse) -> [String] {
        response.records(response.answer, type: "TXT").map {
            $0.data.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
    }

    @Test("CH TXT of a profile and of the zone report status; other clients are refused")
    func statusOverDNS() throws {
        let port = try FreePort.pick()
        let region = try FailoverTests.HTTPEndpoint(address: "127.0.0.12", port: port)
        _ = region
        let config = try TestConfig(
            server: TestConfig.server(),
            profiles: [
                "app.json": Self.profile(
                    "app", port: port, endpoints: [("mec", "127.0.0.11"), ("region", "127.0.0.12")])
            ])
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            #expect(try FailoverTests.seconds(until: "app.tm.example", answers: "127.0.0.12", server: server) != nil)
            for _ in 0..<3 { _ = try server.dig(["app.tm.example", "A"]) }
            usleep(1_200_000)  // answer counts reach status within a second
            let profile = Self.txt(try server.dig(["app.tm.example", "TXT", "-c", "CH"]))
            #expect(profile.count == 3, "\(profile)")
            #expect(profile.first == "profile=app method=Priority status=Degraded answer=region")
            #expect(
                profile.dropFirst().first?.hasPrefix("endpoint=mec priority=1 target=127.0.0.11 status=Degraded since=")
                    == true)
            #expect(profile.dropFirst().first?.contains("last=connection_refused") == true)
            #expect(
                profile.last?.hasPrefix("endpoint=region priority=2 target=127.0.0.12 status=Online since=") == true)
            #expect(profile.last?.contains("last=HTTP_200") == true)
            #expect(profile.last.map { $0.contains("answered=") && !$0.contains("answered=0") } == true, "\(profile)")
            let zone = Self.txt(try server.dig(["tm.example", "TXT", "-c", "CH"]))
            #expect(zone.count == 2)
            #expect(
                zone.first?.hasPrefix(
                    "zone=tm.example. profiles=1 online=0 degraded=1 checking=0 disabled=0 inactive=0 fail-open=0 "
                        + "generation=0 started=") == true, "\(zone)")
            #expect(zone.last == "profile=app method=Priority status=Degraded answer=region")
            // CHAOS status never leaks as IN data.
            #expect(try server.dig(["app.tm.example", "TXT"]).answer.isEmpty)
        }
        let closed = try TestConfig(
            server: TestConfig.server().replacingOccurrences(
                of: #""profiles" : "profiles""#,
                with: #""profiles" : "profiles", "status": { "allow": ["10.0.0.0/8"] }"#),
            profiles: ["app.json": Self.profile("app", port: port, endpoints: [("region", "127.0.0.12")])])
        defer { closed.remove() }
        #expect(
            try String(contentsOf: closed.url.appendingPathComponent("edgetm.json"), encoding: .utf8).contains(
                "10.0.0.0/8"))
        try ServerProcess.with(config: closed.url) { (server: ServerProcess) throws in
            #expect(try server.dig(["app.tm.example", "TXT", "-c", "CH"]).status == "REFUSED")
            #expect(try server.dig(["tm.example", "TXT", "-c", "CH"]).status == "REFUSED")
            #expect(try server.dig(["version.bind", "TXT", "-c", "CH"]).status == "NOERROR")
            #expect(try server.dig(["id.server", "TXT", "-c", "CH"]).status == "NOERROR")
        }
    }

    @Test("A reload with a broken file changes nothing; a good one applies")
    func reloadWithBrokenFile() throws {
        let port = try FreePort.pick()
        let config = try TestConfig(
            server: TestConfig.server(),
            profiles: [
                "app.json": TestConfig.profile(
                    "app", endpoints: [TestConfig.Endpoint(name: "a", target: "127.0.0.11", priority: 1)])
            ])
        defer { config.remove() }
        _ = port
        let file = config.url.appendingPathComponent("profiles/app.json")
        try ServerProcess.with(config: config.url) { server in
            #expect(try server.dig(["app.tm.example", "A"]).answerData("A") == ["127.0.0.11"])
            try "{ \"name\": \"app\", \"properties\": { \"trafficRoutingMethod\": \"Sideways\" } }".write(
                to: file, atomically: true, encoding: .utf8)
            server.signal(SIGHUP)
            #expect(eventuallyTrue(within: 5) { server.log.contains("reload failed") }, "\(server.log)")
            #expect(
                server.log.contains(#"profiles/app.json: properties.trafficRoutingMethod: "Sideways" is not one of"#))
            #expect(try server.dig(["app.tm.example", "A"]).answerData("A") == ["127.0.0.11"])
            #expect(
                Self.txt(try server.dig(["tm.example", "TXT", "-c", "CH"])).first?.contains("failed errors=") == true)
            try TestConfig.profile(
                "app", endpoints: [TestConfig.Endpoint(name: "b", target: "127.0.0.99", priority: 1)]
            )
            .write(to: file, atomically: true, encoding: .utf8)
            server.signal(SIGHUP)
            #expect(
                eventuallyTrue(within: 5) {
                    (try? server.dig(["app.tm.example", "A"]).answerData("A")) == ["127.0.0.99"]
                })
            #expect(Self.txt(try server.dig(["tm.example", "TXT", "-c", "CH"])).first?.hasSuffix(" ok") == true)
        }
    }

    @Test("20 reloads under dnsperf load: no query lost or failed")
    func reloadUnderLoad() throws {
        let dnsperf = URL(fileURLWithPath: "/usr/bin/dnsperf")
        try #require(
            FileManager.default.fileExists(atPath: dnsperf.path),
            "dnsperf is missing: install the Debian package dnsperf (.ci/run does)")
        let config = try TestConfig.standard()
        defer { config.remove() }
        let queries = try TemporaryDirectory("edgetm-e2e-dnsperf")
        defer { queries.remove() }
        let queryFile = queries.file("queries.txt")
        try "app.tm.example A\nv6.tm.example AAAA\nalias.tm.example A\n".write(
            to: queryFile, atomically: true,
            encoding: .utf8)
        try ServerProcess.with(config: config.url) { server in
            let output = queries.file("dnsperf.out")
            let load = try ManagedProcess(
                executable: dnsperf,
                arguments: [
                    "-s", "127.0.0.1", "-p", "\(server.port)", "-d", queryFile.path, "-l", "12", "-Q", "2000", "-t",
                    "2",
                ], stdout: output, stderr: output)
            usleep(1_000_000)
            // Each SIGHUP once the one before has taken effect: requests made during a reload are coalesced by
            // design, which a busy machine (the whole suite runs at once) would otherwise turn into fewer reloads.
            func reloads() -> Int { server.log.components(separatedBy: "reloaded").count - 1 }
            for done in 1...20 {
                server.signal(SIGHUP)
                #expect(eventuallyTrue(within: 3) { reloads() == done }, "reload \(done): \(server.log)")
                usleep(150_000)
            }
            #expect(load.waitForExit(timeout: 30))
            let report = load.stdout
            #expect(reloads() == 20, "\(server.log)")
            #expect(report.contains("Queries lost:         0 (0.00%)"), "\(report)")
            #expect(report.contains("Response codes:       NOERROR"), "\(report)")
            #expect(
                !report.contains("SERVFAIL") && !report.contains("REFUSED") && !report.contains("NXDOMAIN"),
                "\(report)")
            let completed = report.split(separator: "\n").first { $0.contains("Queries completed:") }
            #expect(completed.map { !$0.contains(" 0 (") } == true, "\(report)")
        }
    }
}
