import Foundation
import TMConfig
import TMRouting
import Testing

/// What valid profiles load into.
struct ProfileLoadingTests {
    @Test func wrappedProfileLoads() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let configuration = try #require(fixture.load().configuration)
        let profile = try #require(configuration.profiles.first)
        #expect(profile.name == "app")
        #expect(profile.fqdn == DomainName("app.tm.example."))
        #expect(profile.ttl == 30)
        #expect(profile.method == .priority)
        #expect(profile.endpoints.map(\.name) == ["mec-atlanta", "region-eastus"])
        #expect(
            profile.endpoints.map(\.target) == [.ipv4(IPv4Address("127.0.0.11")!), .ipv4(IPv4Address("127.0.0.12")!)])
        #expect(profile.endpoints.map(\.id) == [0, 1])
        #expect(profile.monitor.port == 8080)
        #expect(profile.monitor.path == "/health")
        #expect(profile.monitor.intervalSeconds == 10)
        #expect(profile.monitor.timeoutSeconds == 5)
        #expect(profile.monitor.toleratedFailures == 2)
    }

    /// The shape `az network traffic-manager profile show` prints: no `properties`, read-only keys, nulls.
    @Test func flattenedAzureExportLoads() throws {
        let export = """
            {
              "allowedEndpointRecordTypes": null,
              "dnsConfig": { "fqdn": "app.trafficmanager.net", "relativeName": "app", "ttl": 60 },
              "endpoints": [
                { "alwaysServe": null, "customHeaders": null, "endpointLocation": null,
                  "endpointMonitorStatus": "Online", "endpointStatus": "Enabled", "geoMapping": null,
                  "id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/trafficManagerProfiles/app/externalEndpoints/b",
                  "minChildEndpoints": null, "name": "b", "priority": null, "resourceGroup": "rg", "subnets": null,
                  "target": "origin.example.net", "targetResourceId": null,
                  "type": "Microsoft.Network/trafficManagerProfiles/externalEndpoints", "weight": 1 },
                { "endpointStatus": null, "name": "a", "priority": 1, "target": "2001:db8::1",
                  "type": "Microsoft.Network/trafficManagerProfiles/externalEndpoints" }
              ],
              "id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/trafficManagerProfiles/app",
              "location": "global", "maxReturn": null,
              "monitorConfig": { "customHeaders": null, "expectedStatusCodeRanges": null, "intervalInSeconds": 30,
                                 "path": "/", "port": 443, "profileMonitorStatus": "Online", "protocol": "HTTPS",
                                 "timeoutInSeconds": 10, "toleratedNumberOfFailures": 3 },
              "name": "app", "profileMonitorStatus": "Online", "profileStatus": "Enabled", "resourceGroup": "rg",
              "tags": {}, "trafficRoutingMethod": "Priority", "trafficViewEnrollmentStatus": "Disabled",
              "type": "Microsoft.Network/trafficManagerProfiles"
            }
            """
        let fixture = try ConfigFixture(profiles: ["app.json": export])
        defer { fixture.remove() }
        let result = fixture.load()
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(
            result.warnings.map(\.description) == [
                "profiles/app.json: trafficViewEnrollmentStatus: warning: Azure's 'trafficViewEnrollmentStatus' is not implemented by edgetm; ignored"
            ])
        let profile = try #require(result.configuration?.profiles.first)
        // "a" has priority 1; "b" had none and takes the lowest free value.
        #expect(profile.endpoints.map(\.name) == ["a", "b"])
        #expect(profile.endpoints.map(\.priority) == [1, 2])
        #expect(profile.endpoints[1].target == .name(DomainName("origin.example.net")!))
        #expect(profile.endpoints[0].isEnabled)
        #expect(profile.monitor.probeProtocol == .https)
    }

    @Test func prioritiesDefaultToListOrder() throws {
        let profile = ConfigFixture.app
            .replacingOccurrences(of: #", "priority": 1 }"#, with: " }")
            .replacingOccurrences(of: #", "priority": 2 }"#, with: " }")
        let fixture = try ConfigFixture(profiles: ["app.json": profile])
        defer { fixture.remove() }
        let loaded = try #require(fixture.load().configuration?.profiles.first)
        #expect(loaded.endpoints.map(\.name) == ["mec-atlanta", "region-eastus"])
        #expect(loaded.endpoints.map(\.priority) == [1, 2])
    }

    @Test func monitorDefaultsFollowAzure() throws {
        let profile = ConfigFixture.app
            .replacingOccurrences(of: #""protocol": "HTTP", "port": 8080, "path": "/health","#, with: "")
            .replacingOccurrences(
                of: #""intervalInSeconds": 10, "timeoutInSeconds": 5, "toleratedNumberOfFailures": 2"#,
                with: "")
        let fixture = try ConfigFixture(profiles: ["app.json": profile])
        defer { fixture.remove() }
        let monitor = try #require(fixture.load().configuration?.profiles.first?.monitor)
        #expect(monitor.probeProtocol == .http)
        #expect(monitor.port == 80)
        #expect(monitor.path == "/")
        #expect(monitor.intervalSeconds == 30)
        #expect(monitor.timeoutSeconds == 10)
        #expect(monitor.toleratedFailures == 3)
        #expect(monitor.expectedStatusCodes == [200...200])
        // edgetm's extensions default to Azure's behaviour: one success recovers, the body is not checked.
        #expect(monitor.requiredSuccesses == 1)
        #expect(monitor.expectedBody == nil)
    }

    /// An edgetm extension, off unless asked for, so that Azure profiles keep Azure's fixed TTL.
    @Test(arguments: [(nil, false), (false, false), (true, true)] as [(Bool?, Bool)])
    func adaptiveTTLLoads(_ value: Bool?, _ expected: Bool) throws {
        let profile = ConfigFixture.app.replacingOccurrences(
            of: #""ttl": 30"#, with: value.map { #""ttl": 30, "adaptiveTtl": \#($0)"# } ?? #""ttl": 30"#)
        let fixture = try ConfigFixture(profiles: ["app.json": profile])
        defer { fixture.remove() }
        let result = fixture.load()
        #expect(result.issues.isEmpty, "\(result.issues)")
        #expect(result.configuration?.profiles.first?.adaptiveTTL == expected)
        #expect(result.configuration?.profiles.first?.ttl == 30)
    }

    @Test(arguments: [1, 3, 10])
    func requiredSuccessesLoads(_ count: Int) throws {
        let profile = ConfigFixture.app.replacingOccurrences(
            of: #""toleratedNumberOfFailures": 2"#,
            with: #""toleratedNumberOfFailures": 2, "requiredSuccesses": \#(count)"#)
        let fixture = try ConfigFixture(profiles: ["app.json": profile])
        defer { fixture.remove() }
        let result = fixture.load()
        #expect(result.issues.isEmpty, "\(result.issues)")
        #expect(result.configuration?.profiles.first?.monitor.requiredSuccesses == count)
    }

    @Test(arguments: ["ok", #""status": "up""#, String(repeating: "é", count: 512)])
    func expectedBodyLoads(_ text: String) throws {
        let json = String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
        let profile = ConfigFixture.app.replacingOccurrences(
            of: #""path": "/health""#, with: #""path": "/health", "expectedBody": \#(json)"#)
        let fixture = try ConfigFixture(profiles: ["app.json": profile])
        defer { fixture.remove() }
        let result = fixture.load()
        #expect(result.issues.isEmpty, "\(result.issues)")
        #expect(result.configuration?.profiles.first?.monitor.expectedBody == text)
    }

    @Test func disabledStatusesLoad() throws {
        let profile = ConfigFixture.app
            .replacingOccurrences(of: #""profileStatus": "Enabled""#, with: #""profileStatus": "disabled""#)
            .replacingOccurrences(
                of: #""target": "127.0.0.11", "endpointStatus": "Enabled""#,
                with: #""target": "127.0.0.11", "endpointStatus": "Disabled""#)
        let fixture = try ConfigFixture(profiles: ["app.json": profile])
        defer { fixture.remove() }
        let loaded = try #require(fixture.load().configuration?.profiles.first)
        #expect(!loaded.isEnabled)
        #expect(loaded.endpoints.map(\.isEnabled) == [false, true])
    }

    /// Documentation is tested: the bundled configuration loads without errors or warnings.
    @Test func bundledConfigLoads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let result = ConfigLoader.load(directory: root.appendingPathComponent("Config").path)
        #expect(result.issues.isEmpty, "\(result.issues)")
        let configuration = try #require(result.configuration)
        #expect(configuration.zone.apex == DomainName("tm.example."))
        #expect(configuration.profiles.contains { $0.fqdn == DomainName("app.tm.example.") })
        #expect(configuration.listen.map(\.description) == ["127.0.0.1:5353", "[::1]:5353"])
        // The production example `make install` copies to /etc/edgetm loads too, and serves port 53.
        let production = ConfigLoader.load(directory: root.appendingPathComponent("Config/production").path)
        #expect(production.issues.isEmpty, "\(production.issues)")
        #expect(production.configuration?.listen.map(\.description) == ["0.0.0.0:53", "[::]:53"])
        // Facing the internet, it limits response rates.
        #expect(production.configuration?.rateLimit?.responsesPerSecond == 200)
    }
}
