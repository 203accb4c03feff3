import Foundation
import TMHealth
import TMRouting
import TMStatus
import Testing

/// Status lines as a pure function of the routing that serves, monitor histories and answer counts.
struct StatusReportTests {
    static let zone = DomainName("tm.example.")!

    static func profile(enabled: Bool = true) -> Profile {
        Profile(
            name: "app", fqdn: zone.prepending("app"), isEnabled: enabled, method: .priority, ttl: 30,
            monitor: MonitorConfig(),
            endpoints: [
                Endpoint(id: 0, name: "mec", target: EndpointTarget("127.0.0.11")!, isEnabled: true, priority: 1),
                Endpoint(id: 1, name: "region", target: EndpointTarget("127.0.0.12")!, isEnabled: true, priority: 2),
            ])
    }

    static let since = Date(timeIntervalSince1970: 1_800_000_000)

    static func input(_ verdicts: [MonitorStatus], profiles: [Profile] = [profile()]) -> StatusInput {
        let routing = RoutingTable(profiles: ProfileSet(profiles), health: HealthVector(verdicts: verdicts))
        let histories = [
            EndpointHealth(
                verdict: verdicts[0], consecutiveFailures: 3,
                lastResult: .failure(.connectionRefused, latency: 0.0004), since: since),
            EndpointHealth(verdict: verdicts[1], consecutiveFailures: 0, lastResult: nil, since: nil),
        ]
        return StatusInput(
            zone: zone, routing: routing, endpointHealth: { $0 < histories.count ? histories[$0] : nil },
            answered: { $0 == 0 ? 12 : 0 }, generation: 3, started: since,
            lastReload: ReloadRecord(time: since, succeeded: false, errorCount: 2))
    }

    @Test func profileLines() {
        let lines = StatusReport.profile(0, Self.input([.degraded, .online]))
        #expect(
            lines == [
                "profile=app method=Priority status=Degraded answer=region",
                "endpoint=mec priority=1 target=127.0.0.11 status=Degraded since=2027-01-15T08:00:00Z "
                    + "last=connection_refused latency=0.4ms failures=3 answered=12",
                "endpoint=region priority=2 target=127.0.0.12 status=Online failures=0 answered=0",
            ])
    }

    @Test(arguments: [
        (MonitorStatus.degraded, 3, " successes=2/3"), (.degraded, 1, ""), (.online, 3, ""),
    ])
    func successesShowWhileADegradedEndpointRecovers(_ verdict: MonitorStatus, _ required: Int, _ shown: String) {
        var input = Self.input([verdict, .online])
        let history = EndpointHealth(
            verdict: verdict, consecutiveFailures: 0, consecutiveSuccesses: 2, requiredSuccesses: required,
            lastResult: .success(detail: "HTTP 200", latency: 0.001), since: Self.since)
        input.endpointHealth = { $0 == 0 ? history : nil }
        let status = verdict.rawValue
        #expect(
            StatusReport.profile(0, input)[1]
                == "endpoint=mec priority=1 target=127.0.0.11 status=\(status) since=2027-01-15T08:00:00Z "
                + "last=HTTP_200 latency=1.0ms failures=0\(shown) answered=12")
    }

    @Test func failOpenIsShown() {
        let lines = StatusReport.profile(0, Self.input([.degraded, .degraded]))
        #expect(lines.first == "profile=app method=Priority status=Degraded answer=mec fail-open")
    }

    /// An answer whose adaptive TTL is lowered says so: resolvers will ask again that soon.
    @Test func loweredTTLIsShown() {
        let plain = Self.profile()
        let adaptive = Profile(
            name: "app", fqdn: plain.fqdn, isEnabled: true, method: .priority, ttl: 30, adaptiveTTL: true,
            monitor: plain.monitor, endpoints: plain.endpoints)
        var health = HealthVector(verdicts: [.degraded, .online])
        health.verdictMayChangeIn = [0: 0.95]
        let routing = RoutingTable(profiles: ProfileSet([adaptive]), health: health)
        let input = StatusInput(zone: Self.zone, routing: routing, started: Self.since, lastReload: nil)
        #expect(
            StatusReport.profile(0, input).first == "profile=app method=Priority status=Degraded answer=region ttl=1")
        let client = ClientQuery(address: IPAddress("192.0.2.1")!, origin: .ecs, sourcePrefixLength: 24, locator: .none)
        #expect(
            StatusReport.explanation(0, for: client, input).last
                == "answer=region target=127.0.0.12 profile=app pick=failover_from_mec_(Degraded) scope=0 ttl=1")
    }

    @Test func zoneLines() {
        #expect(
            StatusReport.zone(Self.input([.checkingEndpoint, .checkingEndpoint])) == [
                "zone=tm.example. profiles=1 online=0 degraded=0 checking=1 disabled=0 inactive=0 fail-open=0 "
                    + "generation=3 started=2027-01-15T08:00:00Z reload=2027-01-15T08:00:00Z failed errors=2",
                "profile=app method=Priority status=CheckingEndpoints answer=mec",
            ])
        #expect(
            StatusReport.zone(Self.input([.online, .online], profiles: [Self.profile(enabled: false)])).last
                == "profile=app method=Priority status=Disabled answer=none")
    }

    /// A fleet server's zone line names the revision, the link to etcd and the vantage points; each probed
    /// endpoint's line every vantage point's verdict and the fleet's, before the details the 255-byte cut may take.
    @Test func fleetWordsOnTheZoneAndEndpointLines() {
        var input = Self.input([.degraded, .online])
        input.fleet = FleetStatus(
            configRevision: 42, refusedRevision: 43, isConnected: true, since: Self.since, vantagePoints: 3)
        input.vantage = { id in
            id == 0 ? [("ns1", .degraded), ("ns2", .degraded), ("probe-nyc", .online)] : nil
        }
        #expect(
            StatusReport.zone(input)[0].hasSuffix(
                "failed errors=2 config=42 fleet=ok since=2027-01-15T08:00:00Z vantage=3 refused=43"))
        let lines = StatusReport.profile(0, input)
        #expect(
            lines[1].hasPrefix(
                "endpoint=mec priority=1 target=127.0.0.11 status=Degraded "
                    + "vantage=ns1:Degraded,ns2:Degraded,probe-nyc:Online fleet=Degraded since="))
        #expect(!lines[2].contains("vantage="))
        input.fleet = FleetStatus(
            configRevision: nil, refusedRevision: nil, isConnected: false, since: Self.since, vantagePoints: 1)
        #expect(
            StatusReport.zone(input)[0].hasSuffix(
                "failed errors=2 config=local fleet=local-only since=2027-01-15T08:00:00Z vantage=1"))
    }

    /// The second line while the state file cannot be written, its reason in underscored words like every value.
    @Test func stateFileProblemIsTheSecondZoneLine() {
        var input = Self.input([.online, .online])
        input.stateFileProblem = ("/srv/edgetm/state.json", "cannot create a file in its directory: Permission denied")
        let lines = StatusReport.zone(input)
        #expect(lines.count == 3)
        #expect(
            lines.dropFirst().first
                == "state-file=error path=/srv/edgetm/state.json "
                + "reason=cannot_create_a_file_in_its_directory:_Permission_denied")
        #expect(lines.last == "profile=app method=Priority status=Online answer=mec")
    }

    @Test(arguments: [
        ([MonitorStatus.online, .degraded], "Degraded"), ([.online, .checkingEndpoint], "Online"),
        ([.checkingEndpoint, .checkingEndpoint], "CheckingEndpoints"),
    ])
    func azureProfileStatus(_ verdicts: [MonitorStatus], _ expected: String) {
        #expect(Self.input(verdicts).routing[profile: 0].profileStatus.rawValue == expected)
    }

    @Test func longLinesAreClippedTo255BytesOnACharacterBoundary() {
        let long = Profile(
            name: String(repeating: "p", count: 63), fqdn: Self.zone.prepending("app"), isEnabled: true,
            method: .priority, ttl: 30, monitor: MonitorConfig(),
            endpoints: [
                Endpoint(
                    id: 0, name: String(repeating: "e", count: 300),
                    target: EndpointTarget("127.0.0.11")!, isEnabled: true, priority: 1),
                Endpoint(
                    id: 1, name: "x" + String(repeating: "é", count: 200),
                    target: EndpointTarget("127.0.0.12")!, isEnabled: true, priority: 2),
            ])
        let lines = StatusReport.profile(0, Self.input([.online, .online], profiles: [long]))
        #expect(lines.allSatisfy { $0.utf8.count <= 255 })
        #expect(lines[1].utf8.count == 255)
        // "endpoint=x" is 10 bytes, then two-byte characters: the cut may not split one.
        #expect(lines[2].utf8.count == 254 && lines[2].hasSuffix("é"))
    }

    /// 5,000 profiles: the zone status fits one TCP message, counts every status, lists the troubled profiles first
    /// (a Degraded one and one failing open, though they come last in the configuration), and says what it left out.
    @Test func zoneStatusOfManyProfilesIsBoundedAndTroubledFirst() {
        let count = 5000
        let profiles = (0..<count).map { index in
            Profile(
                name: "p\(index)", fqdn: Self.zone.prepending("p\(index)"), isEnabled: true, method: .priority, ttl: 30,
                monitor: MonitorConfig(),
                endpoints: [
                    Endpoint(
                        id: 2 * index, name: "a", target: EndpointTarget("127.0.0.1")!, isEnabled: true, priority: 1),
                    Endpoint(
                        id: 2 * index + 1, name: "b", target: EndpointTarget("127.0.0.2")!, isEnabled: true,
                        priority: 2),
                ])
        }
        var verdicts = [MonitorStatus](repeating: .online, count: 2 * count)
        verdicts[2 * (count - 2)] = .degraded
        (verdicts[2 * (count - 1)], verdicts[2 * (count - 1) + 1]) = (.degraded, .degraded)
        let routing = RoutingTable(profiles: ProfileSet(profiles), health: HealthVector(verdicts: verdicts))
        let lines = StatusReport.zone(
            StatusInput(zone: Self.zone, routing: routing, started: Self.since, lastReload: nil))
        #expect(lines.reduce(0) { $0 + $1.utf8.count + 13 } <= StatusReport.answerBudget)
        #expect(
            lines[0].hasPrefix(
                "zone=tm.example. profiles=5000 online=4998 degraded=2 checking=0 disabled=0 "
                    + "inactive=0 fail-open=1 generation=0 "))
        #expect(lines[1] == "profile=p4998 method=Priority status=Degraded answer=b")
        #expect(lines[2] == "profile=p4999 method=Priority status=Degraded answer=a fail-open")
        #expect(lines[3] == "profile=p0 method=Priority status=Online answer=a")
        let shown = lines.count - 2
        #expect(lines.last == "truncated=\(count - shown) more; ask CH TXT <profile name>")
        #expect(shown > 500)
        // Nothing is cut when everything fits.
        let few = RoutingTable(
            profiles: ProfileSet(Array(profiles.prefix(3))), health: HealthVector(verdicts: verdicts))
        #expect(
            StatusReport.zone(StatusInput(zone: Self.zone, routing: few, started: Self.since, lastReload: nil)).count
                == 4)
    }

    /// A Geographic parent over a Priority child: the explanation names where the client was located and each
    /// level's choice, read from the same plan that serves.
    @Test func explanationFollowsEveryLevel() {
        let east = Profile(
            name: "east", fqdn: Self.zone.prepending("east"), isEnabled: true, method: .priority,
            ttl: 30, monitor: MonitorConfig(),
            endpoints: [
                Endpoint(
                    id: 0, name: "mec", target: EndpointTarget("127.0.0.21")!, isEnabled: true,
                    priority: 1),
                Endpoint(
                    id: 1, name: "region", target: EndpointTarget("127.0.0.22")!, isEnabled: true,
                    priority: 2),
            ])
        let top = Profile(
            name: "svc", fqdn: Self.zone.prepending("svc"), isEnabled: true, method: .geographic,
            ttl: 30, monitor: MonitorConfig(),
            endpoints: [
                Endpoint(
                    id: 2, name: "to-east", target: .name(Self.zone.prepending("east")),
                    isEnabled: true, priority: 1, geoMapping: ["US"],
                    nested: NestedTarget(profile: "east"))
            ])
        let locator = ClientLocator(subnets: [(IPNetwork("198.51.100.0/24")!, "US-NY")], database: nil)
        let client = ClientQuery(
            address: IPAddress("198.51.100.0")!, origin: .ecs, sourcePrefixLength: 24,
            locator: locator)
        let base = Self.input([.degraded, .online, .checkingEndpoint], profiles: [east, top])
        let input = StatusInput(zone: Self.zone, routing: base.routing, started: Self.since, lastReload: nil)
        #expect(
            StatusReport.explanation(1, for: client, input) == [
                "client=198.51.100.0/24 location=US-NY,US,GEO-NA,WORLD source=subnets network=/24",
                "path=geo US via subnets /24 (ECS) > east: failover from mec (Degraded)",
                "answer=region target=127.0.0.22 profile=east pick=failover_from_mec_(Degraded) scope=24",
            ])
        #expect(StatusReport.zone(input).last == "profile=svc method=Geographic status=Online answer=per-query")
    }
}
