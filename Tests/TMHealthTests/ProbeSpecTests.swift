import TMHealth
import TMRouting
import Testing

struct ProbeSpecTests {
    static func profile(_ monitor: MonitorConfig, _ endpoints: [Endpoint], enabled: Bool = true) -> Profile {
        Profile(
            name: "app", fqdn: DomainName("app.tm.example")!, isEnabled: enabled, method: .priority, ttl: 30,
            monitor: monitor, endpoints: endpoints)
    }

    @Test func urlsByTargetAndProtocol() {
        var monitor = MonitorConfig()
        monitor.port = 8080
        monitor.path = "/health?x=1"
        let endpoints = [
            Endpoint(id: 0, name: "a", target: EndpointTarget("127.0.0.11")!, isEnabled: true, priority: 1),
            Endpoint(id: 1, name: "b", target: EndpointTarget("2001:db8::1")!, isEnabled: true, priority: 2),
            Endpoint(id: 2, name: "c", target: EndpointTarget("Origin.Example.net")!, isEnabled: true, priority: 3),
        ]
        let http = Self.profile(monitor, endpoints)
        #expect(
            http.endpoints.map { ProbeSpec(profile: http, endpoint: $0).url } == [
                "http://127.0.0.11:8080/health?x=1", "http://[2001:db8::1]:8080/health?x=1",
                "http://Origin.Example.net:8080/health?x=1",
            ])
        monitor.probeProtocol = .https
        let https = Self.profile(monitor, endpoints)
        #expect(ProbeSpec(profile: https, endpoint: https.endpoints[0]).url == "https://127.0.0.11:8080/health?x=1")
    }

    @Test func endpointHeadersOverrideProfileHeadersByName() {
        var monitor = MonitorConfig()
        monitor.customHeaders = [
            HTTPHeader(name: "Host", value: "app.example"), HTTPHeader(name: "X-Probe", value: "p"),
        ]
        let endpoint = Endpoint(
            id: 0, name: "a", target: EndpointTarget("127.0.0.11")!, isEnabled: true, priority: 1,
            customHeaders: [HTTPHeader(name: "x-probe", value: "e")])
        let spec = ProbeSpec(profile: Self.profile(monitor, [endpoint]), endpoint: endpoint)
        #expect(
            spec.headers == [HTTPHeader(name: "Host", value: "app.example"), HTTPHeader(name: "x-probe", value: "e")])
    }

    @Test func onlyEnabledMonitoredEndpointsAreProbed() {
        let endpoints = [
            Endpoint(id: 0, name: "on", target: EndpointTarget("127.0.0.1")!, isEnabled: true, priority: 1),
            Endpoint(id: 1, name: "off", target: EndpointTarget("127.0.0.2")!, isEnabled: false, priority: 2),
            Endpoint(
                id: 2, name: "always", target: EndpointTarget("127.0.0.3")!, isEnabled: true, priority: 3,
                alwaysServe: true),
        ]
        let profile = Self.profile(MonitorConfig(), endpoints)
        #expect(profile.endpoints.map { ProbeSpec.isProbed($0, in: profile) } == [true, false, false])
        let disabled = Self.profile(MonitorConfig(), endpoints, enabled: false)
        #expect(!disabled.endpoints.contains { ProbeSpec.isProbed($0, in: disabled) })
    }

    @Test func expectedStatusCodes() {
        var monitor = MonitorConfig()
        let endpoint = Endpoint(id: 0, name: "a", target: EndpointTarget("127.0.0.1")!, isEnabled: true, priority: 1)
        let plain = ProbeSpec(profile: Self.profile(monitor, [endpoint]), endpoint: endpoint)
        #expect(plain.isExpected(status: 200))
        #expect(!plain.isExpected(status: 204))
        #expect(!plain.isExpected(status: 301))
        monitor.expectedStatusCodes = [200...299, 301...301]
        let ranged = ProbeSpec(profile: Self.profile(monitor, [endpoint]), endpoint: endpoint)
        #expect(ranged.isExpected(status: 204) && ranged.isExpected(status: 301) && !ranged.isExpected(status: 302))
    }

    struct BodyCase: Sendable, CustomTestStringConvertible {
        let expected: String?
        let body: String
        let matches: Bool
        var testDescription: String { "\(expected.map { "\"\($0)\"" } ?? "no check") in \(body.utf8.count) bytes" }
    }

    static let filler = String(repeating: ".", count: 5_113)

    static let bodyCases: [BodyCase] = [
        BodyCase(expected: nil, body: "", matches: true),
        BodyCase(expected: "ok", body: "ok\n", matches: true),
        BodyCase(expected: "ok", body: "", matches: false),
        // Byte for byte: no case folding.
        BodyCase(expected: "OK", body: "ok\n", matches: false),
        BodyCase(expected: "\"status\":\"up\"", body: #"{"status":"up","version":3}"#, matches: true),
        BodyCase(expected: "é", body: "caf\u{E9}", matches: true),
        // Route 53's rule: the text must lie whole within the first 5,120 bytes.
        BodyCase(expected: "HEALTHY", body: filler + "HEALTHY", matches: true),
        BodyCase(expected: "HEALTHY", body: filler + ".HEALTHY", matches: false),
        BodyCase(expected: "HEALTHY", body: filler + String(repeating: ".", count: 100) + "HEALTHY", matches: false),
    ]

    @Test(arguments: bodyCases)
    func expectedBodyIsLookedForInTheFirst5120Bytes(_ testCase: BodyCase) {
        var monitor = MonitorConfig()
        monitor.expectedBody = testCase.expected
        let endpoint = Endpoint(id: 0, name: "a", target: EndpointTarget("127.0.0.11")!, isEnabled: true, priority: 1)
        let spec = ProbeSpec(profile: Self.profile(monitor, [endpoint]), endpoint: endpoint)
        #expect(spec.isExpected(body: Array(testCase.body.utf8)) == testCase.matches)
    }
}
