import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The JSON interface and the dashboard: `/api/v1/status`, `/api/v1/explain`, `/api/v1/events` and `/` in a real
/// headless Chromium, against the bundled configuration with an HTTP section added.
@Suite("http api", .serialized)
struct HTTPAPITests {
    /// A copy of the bundled `Config/` serving HTTP on a free port of 127.0.0.1, with live endpoints for `app`
    /// (mec 127.0.0.11 and region 127.0.0.12 on a free port).
    final class Site {
        let httpPort: UInt16
        let directory: TemporaryDirectory
        let probePort: UInt16
        let mec: FailoverTests.HTTPEndpoint
        let region: FailoverTests.HTTPEndpoint

        init() throws {
            httpPort = try FreePort.pick()
            probePort = try FreePort.pick()
            mec = try FailoverTests.HTTPEndpoint(address: "127.0.0.11", port: probePort)
            region = try FailoverTests.HTTPEndpoint(address: "127.0.0.12", port: probePort)
            directory = try TemporaryDirectory("edgetm-e2e-api")
            let source = Paths.packageRoot.appendingPathComponent("Config")
            for name in ["edgetm.json", "geo-subnets.json", "profiles"] {
                try FileManager.default.copyItem(
                    at: source.appendingPathComponent(name), to: directory.file(name))
            }
            let serverURL = directory.file("edgetm.json")
            var server = try JSONSerialization.jsonObject(with: Data(contentsOf: serverURL)) as! [String: Any]
            server["http"] = ["listen": ["127.0.0.1:\(httpPort)"]]
            try Data(TestConfig.json(server).utf8).write(to: serverURL)
            // `app` probed fast on the live endpoints' port, so that a failover takes a second.
            let app = directory.file("profiles/app.json")
            var profile = try JSONSerialization.jsonObject(with: Data(contentsOf: app)) as! [String: Any]
            var properties = profile["properties"] as! [String: Any]
            properties["monitorConfig"] = [
                "protocol": "HTTP", "port": Int(probePort), "path": "/health", "intervalInSeconds": 0.25,
                "timeoutInSeconds": 0.2, "toleratedNumberOfFailures": 0,
            ]
            profile["properties"] = properties
            try Data(TestConfig.json(profile).utf8).write(to: app)
        }

        deinit { directory.remove() }

        func json(_ path: String) throws -> (status: Int, body: [String: Any]) {
            let result = try Command.run(
                URL(fileURLWithPath: "/usr/bin/curl"),
                ["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "5", "http://127.0.0.1:\(httpPort)\(path)"])
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            let body = lines.dropLast().joined(separator: "\n")
            let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
            return (Int(lines.last ?? "") ?? 0, object)
        }
    }

    static func profile(_ status: [String: Any], _ name: String) -> [String: Any]? {
        (status["profiles"] as? [[String: Any]])?.first { $0["name"] as? String == name }
    }

    static func endpoint(_ profile: [String: Any]?, _ name: String) -> [String: Any]? {
        (profile?["endpoints"] as? [[String: Any]])?.first { $0["name"] as? String == name }
    }

    @Test("/api/v1/status has every profile and endpoint with the fields and values the CH TXT status shows")
    func status() throws {
        let site = try Site()
        try ServerProcess.with(config: site.directory.url) { server in
            #expect(try FailoverTests.seconds(until: "app.tm.example", answers: "127.0.0.11", server: server) != nil)
            let (code, status) = try site.json("/api/v1/status")
            #expect(code == 200)
            #expect(status["zone"] as? String == "tm.example.")
            #expect(status["generation"] is Int && status["started"] is String)
            let profiles = try #require(status["profiles"] as? [[String: Any]])
            let names = Set(profiles.compactMap { $0["name"] as? String })
            let files = try FileManager.default.contentsOfDirectory(atPath: site.directory.file("profiles").path)
            #expect(names.count == files.filter { $0.hasSuffix(".json") }.count, "\(names)")
            for profile in profiles {
                for key in ["name", "fqdn", "method", "status", "answer", "reason", "failOpen", "ttl", "endpoints"] {
                    #expect(profile[key] != nil, "profile \(profile["name"] ?? "?") lacks \(key)")
                }
                for endpoint in profile["endpoints"] as? [[String: Any]] ?? [] {
                    for key in ["name", "status", "priority", "weight", "consecutiveFailures", "answers"] {
                        #expect(endpoint[key] != nil, "endpoint \(endpoint["name"] ?? "?") lacks \(key)")
                    }
                }
            }
            let app = Self.profile(status, "app")
            #expect(app?["answer"] as? String == "mec-atlanta")
            #expect(app?["reason"] as? String == "primary")
            let mec = Self.endpoint(app, "mec-atlanta")
            #expect(mec?["status"] as? String == "Online")
            #expect(mec?["lastResult"] as? String == "HTTP 200")
            #expect(mec?["target"] as? String == "127.0.0.11")
            // The same as the CH TXT status says.
            let txt = try server.dig(["app.tm.example", "TXT", "-c", "CH"]).answer.map(\.data)
            #expect(txt.first?.contains("status=\(app?["status"] as? String ?? "?") answer=mec-atlanta") == true)
        }
    }

    @Test("/api/v1/explain gives the lines dig CH TXT +subnet gives for the same client; bad requests get 400/404")
    func explain() throws {
        let site = try Site()
        try ServerProcess.with(config: site.directory.url) { server in
            for client in ["198.51.100.7", "203.0.113.0/24", "192.0.2.1"] {
                let (code, body) = try site.json("/api/v1/explain?name=svc.tm.example&type=A&client=\(client)")
                #expect(code == 200)
                let lines = try #require(body["explanation"] as? [String])
                let dig = try server.dig(["svc.tm.example", "TXT", "-c", "CH", "+subnet=\(client)"]).answer.map {
                    String($0.data.dropFirst().dropLast())
                }
                #expect(Array(dig.suffix(lines.count)) == lines, "\(client): \(lines) vs \(dig)")
                #expect(lines.last?.hasPrefix("answer=") == true)
            }
            #expect(try site.json("/api/v1/explain?client=198.51.100.7").status == 400)
            #expect(try site.json("/api/v1/explain?name=svc.tm.example&client=nowhere").status == 400)
            #expect(try site.json("/api/v1/explain?name=nope.tm.example&client=198.51.100.7").status == 404)
        }
    }

    @Test("/api/v1/events: a failover's events in order, since= paging by sequence and time, kept across a restart")
    func events() throws {
        let site = try Site()
        var lastSequence = 0
        try ServerProcess.with(config: site.directory.url) { server in
            #expect(try FailoverTests.seconds(until: "app.tm.example", answers: "127.0.0.11", server: server) != nil)
            let before = try #require(try site.json("/api/v1/events").body["events"] as? [[String: Any]])
            let start = before.compactMap { $0["sequence"] as? Int }.max() ?? 0
            site.mec.kill()
            #expect(try FailoverTests.seconds(until: "app.tm.example", answers: "127.0.0.12", server: server) != nil)
            usleep(300_000)
            let after = try #require(try site.json("/api/v1/events?since=\(start)").body["events"] as? [[String: Any]])
            let sequences = after.compactMap { $0["sequence"] as? Int }
            #expect(!sequences.isEmpty && sequences == sequences.sorted() && sequences.allSatisfy { $0 > start })
            let change = after.first {
                $0["kind"] as? String == "endpoint-status" && $0["endpoint"] as? String == "mec-atlanta"
            }
            #expect(change?["to"] as? String == "Degraded", "\(after)")
            #expect(change?["reason"] as? String == "connection refused")
            let answer = after.first { $0["kind"] as? String == "answer" && $0["profile"] as? String == "app" }
            #expect(answer?["from"] as? String == "mec-atlanta" && answer?["to"] as? String == "region-eastus")
            lastSequence = sequences.max() ?? 0
            #expect((try site.json("/api/v1/events?since=\(lastSequence)").body["events"] as? [Any])?.isEmpty == true)
            #expect(
                (try site.json("/api/v1/events?since=2999-01-01T00:00:00Z").body["events"] as? [Any])?.isEmpty == true)
            #expect(try site.json("/api/v1/events?since=yesterday").status == 400)
            // Saved with the state file once changes are quiet.
            usleep(800_000)
        }
        try ServerProcess.with(config: site.directory.url) { server in
            _ = server
            let events = try #require(try site.json("/api/v1/events").body["events"] as? [[String: Any]])
            #expect(events.contains { $0["sequence"] as? Int == lastSequence }, "the events survived the restart")
            // Numbering goes on after the restored ones.
            usleep(500_000)
            let later = try site.json("/api/v1/events?since=\(lastSequence)").body["events"] as? [[String: Any]] ?? []
            #expect(later.allSatisfy { ($0["sequence"] as? Int ?? 0) > lastSequence })
        }
    }

    @Test("The dashboard in headless Chromium: no console errors, every profile and endpoint, a failover shows")
    func dashboard() throws {
        let site = try Site()
        let artifacts = Paths.packageRoot.appendingPathComponent(".build/test-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        try ServerProcess.with(config: site.directory.url) { server in
            #expect(try FailoverTests.seconds(until: "app.tm.example", answers: "127.0.0.11", server: server) != nil)
            let first = try Chromium.dump(
                "http://127.0.0.1:\(site.httpPort)/",
                screenshot: artifacts.appendingPathComponent("dashboard-before.png"))
            #expect(first.consoleErrors.isEmpty, "\(first.consoleErrors)")
            let status = try site.json("/api/v1/status").body
            for profile in status["profiles"] as? [[String: Any]] ?? [] {
                let name = profile["name"] as? String ?? "?"
                #expect(first.dom.contains("data-profile=\"\(name)\""), "profile \(name) is not shown")
                for endpoint in profile["endpoints"] as? [[String: Any]] ?? [] {
                    #expect(first.dom.contains("data-endpoint=\"\(name)/\(endpoint["name"] as? String ?? "?")\""))
                }
            }
            #expect(first.dom.contains(#"data-endpoint="app/mec-atlanta" data-status="Online""#))

            site.mec.kill()
            #expect(try FailoverTests.seconds(until: "app.tm.example", answers: "127.0.0.12", server: server) != nil)
            let second = try Chromium.dump(
                "http://127.0.0.1:\(site.httpPort)/",
                screenshot: artifacts.appendingPathComponent("dashboard-after.png"))
            #expect(second.dom.contains(#"data-endpoint="app/mec-atlanta" data-status="Degraded""#))
            #expect(second.dom.contains(#"data-kind="endpoint-status""#), "the timeline shows the change")
            #expect(second.consoleErrors.isEmpty, "\(second.consoleErrors)")
        }
    }
}

/// Headless Chromium (Debian's `chromium`): the DOM after the page's scripts ran, its console errors, and a
/// screenshot.
enum Chromium {
    static let binary = URL(fileURLWithPath: "/usr/bin/chromium")

    static func dump(_ url: String, screenshot: URL) throws -> (dom: String, consoleErrors: [String]) {
        let profile = try TemporaryDirectory("edgetm-e2e-chromium")
        defer { profile.remove() }
        let common = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.url.path)",
            "--enable-logging=stderr", "--v=0", "--virtual-time-budget=4000", "--window-size=1280,900",
        ]
        let dump = try Command.run(binary, common + ["--dump-dom", url], timeout: 60)
        _ = try Command.run(binary, common + ["--screenshot=\(screenshot.path)", url], timeout: 60)
        let errors = dump.stderr.split(separator: "\n").map(String.init).filter {
            $0.contains("CONSOLE") && ($0.contains("Uncaught") || $0.contains("ERROR:CONSOLE"))
        }
        return (dump.stdout, errors)
    }
}
