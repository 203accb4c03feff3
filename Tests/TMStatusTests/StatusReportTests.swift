import Foundation
import Testing
import TMRouting
import TMStatus

/// Status lines as a pure function of profiles, health and runtime counters.
struct StatusReportTests {
    static let zone = DomainName("tm.example.")!

    static func profile(enabled: Bool = true) -> Profile {
        Profile(name: "app", fqdn: zone.prepending("app"), isEnabled: enabled, method: .priority, ttl: 30,
                monitor: MonitorConfig(), endpoints: [
                    Endpoint(id: 0, name: "mec", target: EndpointTarget("127.0.0.11")!, isEnabled: true, priority: 1),
                    Endpoint(id: 1, name: "region", target: EndpointTarget("127.0.0.12")!, isEnabled: true, priority: 2),
                ])
    }

    static func input(_ health: [ProbeHealth], profile: Profile = profile()) -> StatusInput {
        let since = Date(timeIntervalSince1970: 1_800_000_000)
        return StatusInput(zone: zone, profiles: [profile], health: HealthVector(probes: health), endpoints: [
            EndpointRuntime(since: since, lastResult: "connection refused", latency: 0.0004, consecutiveFailures: 3,
                            answered: 12),
            EndpointRuntime(since: nil, lastResult: nil, latency: nil, consecutiveFailures: 0, answered: 0),
        ], started: since, lastReload: ReloadRecord(time: since, succeeded: false, errorCount: 2))
    }

    @Test func profileLines() {
        let lines = StatusReport.profile(Self.profile(), Self.input([.degraded, .online]))
        #expect(lines == [
            "profile=app method=Priority status=Degraded answer=region",
            "endpoint=mec priority=1 target=127.0.0.11 status=Degraded since=2027-01-15T08:00:00Z "
                + "last=connection_refused latency=0.4ms failures=3 answered=12",
            "endpoint=region priority=2 target=127.0.0.12 status=Online failures=0 answered=0",
        ])
    }

    @Test func failOpenIsShown() {
        let lines = StatusReport.profile(Self.profile(), Self.input([.degraded, .degraded]))
        #expect(lines.first == "profile=app method=Priority status=Degraded answer=mec fail-open")
    }

    @Test func zoneLines() {
        #expect(StatusReport.zone(Self.input([.checking, .checking])) == [
            "zone=tm.example. profiles=1 started=2027-01-15T08:00:00Z reload=2027-01-15T08:00:00Z failed errors=2",
            "profile=app method=Priority status=CheckingEndpoints answer=mec",
        ])
        #expect(StatusReport.zone(Self.input([.online, .online], profile: Self.profile(enabled: false))).last
            == "profile=app method=Priority status=Disabled answer=none")
    }

    @Test(arguments: [
        ([ProbeHealth.online, .degraded], "Degraded"), ([.online, .checking], "Online"),
        ([.checking, .checking], "CheckingEndpoints"),
    ])
    func azureProfileStatus(_ health: [ProbeHealth], _ expected: String) {
        #expect(StatusReport.profileStatus(Self.profile(), Self.input(health)) == expected)
    }

    @Test func longLinesAreClippedTo255Bytes() {
        let long = Profile(name: String(repeating: "p", count: 63), fqdn: Self.zone.prepending("app"), isEnabled: true,
                           method: .priority, ttl: 30, monitor: MonitorConfig(), endpoints: [
                               Endpoint(id: 0, name: String(repeating: "e", count: 300),
                                        target: EndpointTarget("127.0.0.11")!, isEnabled: true, priority: 1),
                           ])
        let lines = StatusReport.profile(long, Self.input([.online]))
        #expect(lines.allSatisfy { $0.utf8.count <= 255 })
        #expect(lines[1].utf8.count == 255)
    }
}
