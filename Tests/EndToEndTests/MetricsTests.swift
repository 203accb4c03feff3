import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The HTTP interface: Prometheus metrics checked by promtool and scraped by a real Prometheus server, health and
/// readiness, the allow-list and bad requests.
@Suite("metrics", .serialized)
struct MetricsTests {
    /// The failover profile (mec 127.0.0.11, region 127.0.0.12, probed every 0.25 s) with an HTTP interface on a
    /// free port of 127.0.0.1, allowed to 127.0.0.1/32 only.
    final class Site {
        let probePort: UInt16
        let httpPort: UInt16
        let mec: FailoverTests.HTTPEndpoint
        let region: FailoverTests.HTTPEndpoint
        let config: TestConfig

        init() throws {
            probePort = try FreePort.pick()
            httpPort = try FreePort.pick()
            mec = try FailoverTests.HTTPEndpoint(address: "127.0.0.11", port: probePort)
            region = try FailoverTests.HTTPEndpoint(address: "127.0.0.12", port: probePort)
            var server = try JSONSerialization.jsonObject(with: Data(TestConfig.server().utf8)) as! [String: Any]
            server["http"] = ["listen": ["127.0.0.1:\(httpPort)"], "allow": ["127.0.0.1/32"]]
            config = try TestConfig(
                server: TestConfig.json(server), profiles: ["app.json": FailoverTests.profile(port: probePort)])
        }

        deinit { config.remove() }

        /// `curl` of a path: the status code and the body.
        func get(_ path: String, from source: String = "127.0.0.1", method: String = "GET") throws
            -> (status: Int, body: String)
        {
            let result = try Command.run(
                URL(fileURLWithPath: "/usr/bin/curl"),
                [
                    "-s", "-X", method, "--interface", source, "-o", "-", "-w", "\n%{http_code}", "--max-time", "5",
                    "http://127.0.0.1:\(httpPort)\(path)",
                ])
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
        }
    }

    /// The value of the one sample `name{labels}` in an exposition, or nil.
    static func value(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
    }

    @Test("GET /metrics passes promtool and counts queries and answers; health, readiness, 403, 404 and 405")
    func exposition() throws {
        let site = try Site()
        try ServerProcess.with(config: site.config.url) { server in
            #expect(try FailoverTests.seconds(until: "app.tm.example", answers: "127.0.0.11", server: server) != nil)
            for _ in 0..<5 { _ = try server.dig(["app.tm.example", "A"]) }
            _ = try server.dig(["app.tm.example", "AAAA", "+tcp"])
            // Listener threads hand their counts over about once a second.
            usleep(1_300_000)
            let metrics = try site.get("/metrics")
            #expect(metrics.status == 200)
            let check = try Command.run(
                URL(fileURLWithPath: "/bin/sh"),
                ["-c", "curl -s http://127.0.0.1:\(site.httpPort)/metrics | promtool check metrics"])
            #expect(check.status == 0, "promtool: \(check.stdout)\(check.stderr)")
            let text = metrics.body
            let udpA = Self.value(text, #"edgetm_dns_requests_total{family="ipv4",proto="udp",qtype="A"}"#)
            #expect((udpA ?? 0) >= 5, "\(String(describing: udpA))")
            #expect(Self.value(text, #"edgetm_dns_requests_total{family="ipv4",proto="tcp",qtype="AAAA"}"#) == 1)
            #expect((Self.value(text, #"edgetm_answers_total{endpoint="mec",profile="app"}"#) ?? 0) >= 5)
            #expect(Self.value(text, #"edgetm_endpoint_up{endpoint="mec",profile="app"}"#) == 1)
            #expect(Self.value(text, #"edgetm_endpoint_up{endpoint="disabled",profile="app"}"#) == 0)
            #expect(Self.value(text, #"edgetm_endpoint_status{endpoint="mec",profile="app",status="Online"}"#) == 1)
            #expect(Self.value(text, #"edgetm_profile_fail_open{profile="app"}"#) == 0)
            #expect(
                (Self.value(text, #"edgetm_probes_total{endpoint="mec",profile="app",result="success"}"#) ?? 0) >= 1)
            #expect(text.contains(#"edgetm_probe_duration_seconds_bucket{endpoint="mec",le="+Inf",profile="app"}"#))
            #expect(text.contains("edgetm_dns_response_size_bytes_count "))
            #expect(Self.value(text, #"edgetm_config_reloads_total{result="success"}"#) == 0)
            #expect(text.contains(#"edgetm_build_info{version="#))

            #expect(try site.get("/healthz").status == 200)
            let ready = try site.get("/readyz")
            #expect(ready.status == 200 && ready.body.hasPrefix("ready"), "\(ready)")
            #expect(try site.get("/nope").status == 404)
            #expect(try site.get("/metrics", method: "POST").status == 405)
            // Outside the allow-list: 403, whatever the path.
            #expect(try site.get("/metrics", from: "127.0.0.2").status == 403)
            #expect(try site.get("/readyz", from: "127.0.0.2").status == 403)
            // DNS is unaffected by all of it.
            #expect(server.normalQueryProblemUDP() == nil)
        }
    }

    @Test("Oversized headers are refused and a flood of idle HTTP connections leaves DNS answering")
    func badClients() throws {
        let site = try Site()
        try ServerProcess.with(config: site.config.url) { server in
            let big = try Command.run(
                URL(fileURLWithPath: "/usr/bin/curl"),
                [
                    "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "-H",
                    "X-Big: " + String(repeating: "a", count: 20_000), "http://127.0.0.1:\(site.httpPort)/metrics",
                ])
            #expect(big.stdout != "200", "a 20 KB header was accepted")
            var idle: [Int32] = []
            defer { for fd in idle { close(fd) } }
            for _ in 0..<100 {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                let connected = Loopback.v4.withSockaddr(port: site.httpPort) { connect(fd, $0, $1) }
                if connected == 0 { idle.append(fd) } else { close(fd) }
            }
            #expect(idle.count >= 64, "\(idle.count) connections opened")
            for id in UInt16(1)...20 { #expect(server.normalQueryProblemUDP(id: id) == nil) }
            #expect(server.normalQueryProblemTCP() == nil)
        }
    }

    @Test("The alerting rules in docs/ pass promtool check rules")
    func alertRules() throws {
        let rules = Paths.packageRoot.appendingPathComponent("docs/prometheus/edgetm-alerts.yml")
        let check = try Command.run(URL(fileURLWithPath: "/usr/bin/promtool"), ["check", "rules", rules.path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("SUCCESS: 2 rules found"), "\(check.stdout)")
    }

    @Test(
        "A real Prometheus scrapes it: after a failover it sees the MEC endpoint down and answers moving to the region")
    func prometheusScrape() throws {
        let site = try Site()
        try ServerProcess.with(config: site.config.url) { server in
            #expect(try FailoverTests.seconds(until: "app.tm.example", answers: "127.0.0.11", server: server) != nil)
            let prometheus = try PrometheusServer(target: "127.0.0.1:\(site.httpPort)")
            defer { prometheus.stop() }
            #expect(try prometheus.awaitValue(#"edgetm_endpoint_up{endpoint="mec"}"#, 1, within: 20))

            site.mec.kill()
            #expect(try FailoverTests.seconds(until: "app.tm.example", answers: "127.0.0.12", server: server) != nil)
            for _ in 0..<10 { _ = try server.dig(["app.tm.example", "A"]) }
            #expect(try prometheus.awaitValue(#"edgetm_endpoint_up{endpoint="mec"}"#, 0, within: 10))
            #expect(try prometheus.awaitValue(#"edgetm_endpoint_up{endpoint="region"}"#, 1, within: 5))
            #expect(
                try prometheus.awaitValue(#"edgetm_answers_total{endpoint="region"} >= bool 10"#, 1, within: 10),
                "the answers counter moved to the region endpoint")
        }
    }
}

/// A Prometheus server (Debian's `prometheus`) on a free loopback port, scraping one target every second, with its
/// own data directory; stopped by pid.
final class PrometheusServer {
    let port: UInt16
    private let directory: TemporaryDirectory
    private let child: ManagedProcess

    init(target: String) throws {
        port = try FreePort.pick()
        directory = try TemporaryDirectory("edgetm-e2e-prometheus")
        let config = directory.file("prometheus.yml")
        try """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: edgetm
            static_configs:
              - targets: ["\(target)"]
        """.write(to: config, atomically: true, encoding: .utf8)
        let log = directory.file("prometheus.log")
        child = try ManagedProcess(
            executable: URL(fileURLWithPath: "/usr/bin/prometheus"),
            arguments: [
                "--config.file=\(config.path)", "--storage.tsdb.path=\(directory.file("data").path)",
                "--web.listen-address=127.0.0.1:\(port)",
            ],
            stdout: log, stderr: log)
        let deadline = Date().addingTimeInterval(30)
        while try query("up") == nil {
            guard Date() < deadline, child.isRunning else {
                throw HarnessError("prometheus did not start: \(child.stdout.suffix(2000))")
            }
            usleep(200_000)
        }
    }

    /// The first value of an instant query, or nil (no result, or not reachable yet).
    func query(_ expression: String) throws -> Double? {
        let result = try Command.run(
            URL(fileURLWithPath: "/usr/bin/curl"),
            [
                "-s", "--max-time", "3", "--data-urlencode", "query=\(expression)",
                "http://127.0.0.1:\(port)/api/v1/query",
            ])
        guard let json = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            let data = json["data"] as? [String: Any], let series = data["result"] as? [[String: Any]],
            let value = series.first?["value"] as? [Any], value.count == 2, let text = value[1] as? String
        else { return nil }
        return Double(text)
    }

    /// Polls until the query gives `expected` (every 250 ms, at most `seconds`).
    func awaitValue(_ expression: String, _ expected: Double, within seconds: Double) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try query(expression) == expected { return true }
            usleep(250_000)
        }
        return false
    }

    func stop() {
        child.terminate()
        directory.remove()
    }
}
