import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// edgetm's monitor extensions end to end: `requiredSuccesses` against a service that fails every other request,
/// and `expectedBody` against real bodies, with the real daemon; status read with `dig CH TXT`.
@Suite("anti-flap and body checks", .serialized)
struct MonitorRulesTests {
    typealias HTTPEndpoint = FailoverTests.HTTPEndpoint

    /// Profile `app`: mec (127.0.0.11, priority 1) and region (127.0.0.12, priority 2), probed every 0.25 s with
    /// no tolerated failure, plus whatever `monitorExtras` adds to monitorConfig and `more` adds as endpoints.
    static func profile(port: UInt16, monitorExtras: String, more: [(String, String)] = []) -> String {
        let endpoints = [("mec", "127.0.0.11"), ("region", "127.0.0.12")] + more
        let list = endpoints.enumerated().map { index, endpoint in
            #"{ "name": "\#(endpoint.0)", "type": "externalEndpoints", "properties": { "target": "\#(endpoint.1)", "priority": \#(index + 1) } }"#
        }.joined(separator: ",\n")
        return """
            { "name": "app", "properties": { "trafficRoutingMethod": "Priority",
              "dnsConfig": { "relativeName": "app", "ttl": 5 },
              "monitorConfig": { "protocol": "HTTP", "port": \(port), "path": "/health",
                                 "intervalInSeconds": 0.25, "timeoutInSeconds": 0.2,
                                 "toleratedNumberOfFailures": 0, \(monitorExtras) },
              "endpoints": [\(list)] } }
            """
    }

    /// How often the log says `endpoint` changed to `status`, and from `from` if given.
    static func transitions(_ log: String, endpoint: String, to status: String, from: String? = nil) -> Int {
        log.split(separator: "\n").filter { line in
            line.contains("endpoint status changed") && line.contains("endpoint=\(endpoint) ")
                && line.contains("to=\(status)") && (from.map { line.contains("from=\($0)") } ?? true)
        }.count
    }

    /// The status line of `endpoint` in `CH TXT app.tm.example`.
    static func statusLine(_ server: ServerProcess, endpoint: String) throws -> String? {
        OperationsTests.txt(try server.dig(["app.tm.example", "TXT", "-c", "CH"]))
            .first { $0.hasPrefix("endpoint=\(endpoint) ") }
    }

    /// The value of `field=` in a status line.
    static func field(_ name: String, in line: String?) -> String? {
        line?.split(separator: " ").first { $0.hasPrefix("\(name)=") }.map { String($0.dropFirst(name.count + 1)) }
    }

    @Test("requiredSuccesses 1 (Azure): a service failing every other probe flaps between Online and Degraded")
    func oneSuccessFlaps() throws {
        let port = try FreePort.pick()
        let mec = try HTTPEndpoint(address: "127.0.0.11", port: port, arguments: ["--alternate", "200,503"])
        let region = try HTTPEndpoint(address: "127.0.0.12", port: port)
        _ = (mec, region)
        let config = try TestConfig(
            server: TestConfig.server(),
            profiles: ["app.json": Self.profile(port: port, monitorExtras: #""requiredSuccesses": 1"#)])
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            #expect(
                eventuallyTrue(within: 10) {
                    Self.transitions(server.log, endpoint: "mec", to: "Online", from: "Degraded") >= 3
                }, "\(server.log)")
            #expect(Self.transitions(server.log, endpoint: "mec", to: "Degraded") >= 3)
            // Answers follow the flapping: both addresses are handed out within a few probes.
            var answers: Set<[String]> = []
            let deadline = Date().addingTimeInterval(5)
            while answers.count < 2, Date() < deadline {
                answers.insert(try server.dig(["app.tm.example", "A"]).answerData("A"))
                usleep(50_000)
            }
            #expect(answers == [["127.0.0.11"], ["127.0.0.12"]])
            // With one success required there is no way back to show.
            #expect(Self.field("successes", in: try Self.statusLine(server, endpoint: "mec")) == nil)
        }
    }

    @Test("requiredSuccesses 3: the same service stays Degraded; a healthy one comes back after three successes")
    func threeSuccessesDoNotFlap() throws {
        let port = try FreePort.pick()
        let mec = try HTTPEndpoint(address: "127.0.0.11", port: port, arguments: ["--alternate", "200,503"])
        let region = try HTTPEndpoint(address: "127.0.0.12", port: port)
        _ = region
        let config = try TestConfig(
            server: TestConfig.server(),
            profiles: ["app.json": Self.profile(port: port, monitorExtras: #""requiredSuccesses": 3"#)])
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            #expect(
                eventuallyTrue(within: 10) { Self.transitions(server.log, endpoint: "mec", to: "Degraded") == 1 },
                "\(server.log)")
            // About ten more probes, half of them successes: the count climbs to 1 and falls back, never further,
            // and the answer never goes back to mec.
            var seen: Set<String> = []
            var answers: Set<[String]> = []
            let watch = Date().addingTimeInterval(2.5)
            while Date() < watch {
                let line = try Self.statusLine(server, endpoint: "mec")
                #expect(Self.field("status", in: line) == "Degraded", "\(line ?? "no line")")
                if let successes = Self.field("successes", in: line) { seen.insert(successes) }
                answers.insert(try server.dig(["app.tm.example", "A"]).answerData("A"))
                usleep(50_000)
            }
            #expect(seen == ["0/3", "1/3"])
            #expect(answers == [["127.0.0.12"]])
            // Online once (its first probe, from CheckingEndpoint), Degraded once: no flapping.
            #expect(Self.transitions(server.log, endpoint: "mec", to: "Online") == 1, "\(server.log)")
            #expect(Self.transitions(server.log, endpoint: "mec", to: "Degraded") == 1, "\(server.log)")

            // The service recovers for good: back after three probes in a row, not after the first.
            mec.kill()
            // Taken before the start: a probe may already succeed while `start` waits for the service's "ready".
            let restarted = Date()
            try mec.start(arguments: [])
            #expect(
                eventuallyTrue(within: 10) {
                    Self.transitions(server.log, endpoint: "mec", to: "Online", from: "Degraded") == 1
                }, "\(server.log)")
            // Two intervals (less 10 % jitter each) at least after the first success, which came after the start.
            #expect(Date().timeIntervalSince(restarted) >= 0.4)
            #expect(try server.dig(["app.tm.example", "A"]).answerData("A") == ["127.0.0.11"])
        }
    }

    @Test("expectedBody: match is Online, a miss is Degraded with its reason in status, a 100 MB body is cut short")
    func expectedBody() throws {
        let port = try FreePort.pick()
        let directory = try TemporaryDirectory("edgetm-e2e-body")
        defer { directory.remove() }
        let sendLog = directory.file("sends.jsonl")
        let matching = try HTTPEndpoint(
            address: "127.0.0.11", port: port, arguments: ["--body", "{\"status\":\"edgetm-ok\"}"])
        // The default body, "ok" and a newline: 3 bytes without the text.
        let missing = try HTTPEndpoint(address: "127.0.0.12", port: port)
        let huge = try HTTPEndpoint(
            address: "127.0.0.13", port: port,
            arguments: ["--body", "edgetm-ok", "--body-size", "100000000", "--send-log", sendLog.path])
        _ = (matching, missing, huge)
        let config = try TestConfig(
            server: TestConfig.server(),
            profiles: [
                "app.json": Self.profile(
                    port: port, monitorExtras: #""expectedBody": "edgetm-ok""#, more: [("huge", "127.0.0.13")])
            ])
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            #expect(
                eventuallyTrue(within: 10) {
                    Self.transitions(server.log, endpoint: "region", to: "Degraded") == 1
                        && Self.transitions(server.log, endpoint: "huge", to: "Online") == 1
                }, "\(server.log)")
            let mec = try Self.statusLine(server, endpoint: "mec")
            #expect(Self.field("status", in: mec) == "Online", "\(mec ?? "no line")")
            #expect(Self.field("last", in: mec) == "HTTP_200")
            let region = try Self.statusLine(server, endpoint: "region")
            #expect(Self.field("status", in: region) == "Degraded", "\(region ?? "no line")")
            #expect(Self.field("last", in: region) == "body_did_not_contain_the_expected_text_(3_bytes_read)")
            #expect(server.log.contains("reason=body did not contain the expected text (3 bytes read)"))
            let hugeLine = try Self.statusLine(server, endpoint: "huge")
            #expect(Self.field("status", in: hugeLine) == "Online", "\(hugeLine ?? "no line")")
            // Every probe of the 100 MB body hung up early: the server never got even 1 MB out.
            let sends = (try? String(contentsOf: sendLog, encoding: .utf8))?.split(separator: "\n") ?? []
            #expect(!sends.isEmpty)
            for send in sends {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(send.utf8)) as? [String: Any])
                #expect(object["complete"] as? Bool == false, "\(send)")
                #expect(try #require(object["sent"] as? Int) < 1_000_000, "\(send)")
            }
        }
    }
}
