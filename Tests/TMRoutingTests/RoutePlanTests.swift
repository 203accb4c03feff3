import TMRouting
import Testing

/// Route plans for every method, evaluated for clients without sockets: tables of client -> answer.
struct RoutePlanTests {
    static let apex = DomainName("tm.example.")!

    static func external(
        _ id: Int, _ target: String, priority: Int = 1, enabled: Bool = true, weight: Int = 1,
        geo: [String] = [], subnets: [SubnetRange] = []
    ) -> Endpoint {
        Endpoint(
            id: id, name: "e\(id)", target: EndpointTarget(target)!, isEnabled: enabled, priority: priority,
            weight: weight, geoMapping: geo, subnets: subnets)
    }

    static func nested(
        _ id: Int, _ child: String, priority: Int = 1, geo: [String] = [], min: Int = 1,
        min4: Int = 0, min6: Int = 0
    ) -> Endpoint {
        Endpoint(
            id: id, name: "n\(id)", target: .name(apex.prepending(child)), isEnabled: true, priority: priority,
            geoMapping: geo,
            nested: NestedTarget(
                profile: child, minChildEndpoints: min,
                minChildEndpointsIPv4: min4, minChildEndpointsIPv6: min6))
    }

    static func profile(
        _ name: String, _ method: RoutingMethod, enabled: Bool = true, maxReturn: Int = 2,
        _ endpoints: [Endpoint]
    ) -> Profile {
        Profile(
            name: name, fqdn: apex.prepending(name), isEnabled: enabled, method: method, ttl: 30,
            monitor: MonitorConfig(), endpoints: endpoints, maxReturn: maxReturn)
    }

    /// The answered addresses (A and AAAA as text, or the CNAME) for a client, the ECS scope, and the reason at
    /// each level, read from the route that serves; the query path's selection must agree with the explained one.
    static func answer(
        _ profile: Profile, in profiles: [Profile], health: HealthVector = HealthVector(endpointCount: 64),
        client: String, source: Int = 32, locator: ClientLocator = .none,
        random: Double = 0.5
    ) -> (answer: [String], scope: Int?, reasons: [String]) {
        let table = RoutingTable(profiles: ProfileSet(profiles), health: health)
        let route = table[profile: profiles.firstIndex { $0.name == profile.name }!]
        let query = ClientQuery(address: IPAddress(client)!, origin: .ecs, sourcePrefixLength: source, locator: locator)
        let (decision, scope) = route.plan.decision(for: query, random: { random })
        var served = query
        #expect(route.plan.select(for: &served, random: { random }) == decision.answer)
        #expect(served.scopePrefixLength == scope)
        let reasons = decision.steps.map { "\($0.profile): \(describe($0.reason))" }
        guard let index = decision.answer else { return ([], scope, reasons) }
        let set = route.answerSets[index]
        let texts = set.a.map(\.description) + set.aaaa.map(\.description) + (set.cname.map { [$0.description] } ?? [])
        return (texts, scope, reasons)
    }

    /// A reason in a compact form for the tables below (endpoints by id).
    static func describe(_ reason: Reason) -> String {
        switch reason {
        case .primary(let id): "primary e\(id)"
        case .failover(let id, let from, let status): "failover e\(id) from e\(from) \(status.rawValue)"
        case .failOpen(let id): "fail-open e\(id)"
        case .geographic(let id, let code, let location):
            "geo e\(id) \(code) \(location.address.rawValue) \(location.source.rawValue) /\(location.prefixLength ?? -1)"
        case .subnet(let id, let range): "subnet e\(id) \(range)"
        case .subnetFallback(let id): "subnet fallback e\(id)"
        case .weighted(let id, let weight, let total, let failOpen):
            "weighted e\(id) \(weight)/\(total)" + (failOpen ? " fail-open" : "")
        case .multiValue(let ids, let failOpen):
            "multivalue " + ids.map { "e\($0)" }.joined(separator: ",") + (failOpen ? " fail-open" : "")
        case .stopped(let id): "stopped e\(id)"
        case .noMatch(let location): "no match" + (location.map { " \($0.source.rawValue)" } ?? "")
        case .noEndpoints: "no endpoints"
        case .profileDisabled: "profile disabled"
        }
    }

    static let map = ClientLocator(
        subnets: [
            (IPNetwork("198.51.100.0/24")!, "US-TX"), (IPNetwork("198.51.100.128/25")!, "US-CA"),
            (IPNetwork("203.0.113.0/24")!, "DE"), (IPNetwork("192.0.2.0/24")!, "TR"),
            (IPNetwork("2001:db8:5::/48")!, "RU"),
            (IPNetwork("100.64.0.0/16")!, "MX"),
        ], database: nil)

    @Test(arguments: [
        ("198.51.100.7", ["127.0.0.1"], 24, "geo e0 US-TX ecs subnets /24"),  // US-TX: the state itself
        // US-CA: longest subnet-map prefix wins; the country maps it
        ("198.51.100.200", ["127.0.0.2"], 25, "geo e1 US ecs subnets /25"),
        ("203.0.113.9", ["127.0.0.3"], 24, "geo e2 GEO-EU ecs subnets /24"),  // DE: the grouping GEO-EU
        ("2001:db8:5::1", ["127.0.0.3"], 48, "geo e2 GEO-EU ecs subnets /48"),  // RU is in GEO-EU in Azure's table
        ("192.0.2.1", ["127.0.0.4"], 24, "geo e3 GEO-ME ecs subnets /24"),  // TR belongs to GEO-ME
        ("100.64.1.1", ["127.0.0.2"], 16, "geo e1 GEO-NA ecs subnets /16"),  // MX is in GEO-NA (Azure)
        ("10.0.0.1", ["127.0.0.5"], 32, "geo e4 WORLD ecs none /-1"),  // unmapped: WORLD, scope the source prefix
    ])
    func geographicMostSpecificWins(_ client: String, _ expected: [String], _ scope: Int, _ reason: String) {
        let top = Self.profile(
            "geo", .geographic,
            [
                Self.external(0, "127.0.0.1", geo: ["US-TX"]), Self.external(1, "127.0.0.2", geo: ["US", "GEO-NA"]),
                Self.external(2, "127.0.0.3", geo: ["GEO-EU"]), Self.external(3, "127.0.0.4", geo: ["GEO-ME"]),
                Self.external(4, "127.0.0.5", geo: ["WORLD"]),
            ])
        let source = client.contains(":") ? 128 : 32
        let result = Self.answer(top, in: [top], client: client, source: source, locator: Self.map)
        #expect(result.answer == expected)
        #expect(result.reasons == ["geo: \(reason)"])
        #expect(result.scope == (client.contains(":") && scope == 32 ? 128 : scope))
    }

    @Test func geographicNoMatchDisabledAndStopped() {
        let child = Self.profile("child", .priority, enabled: false, [Self.external(0, "127.0.0.9")])
        let top = Self.profile(
            "geo", .geographic,
            [
                Self.external(1, "127.0.0.1", enabled: false, geo: ["DE"]),
                Self.external(2, "127.0.0.2", geo: ["GEO-EU"]),
                Self.nested(3, "child", geo: ["TR"]),
            ])
        let profiles = [child, top]
        // Disabled endpoints are skipped while matching: DE falls through to GEO-EU.
        #expect(Self.answer(top, in: profiles, client: "203.0.113.1", locator: Self.map).answer == ["127.0.0.2"])
        // A Stopped match is NODATA, without walking further up.
        let stopped = Self.answer(top, in: profiles, client: "192.0.2.1", locator: Self.map)
        #expect(stopped.answer == [] && stopped.reasons == ["geo: stopped e3"])
        // No match and no WORLD: NODATA, scope the source prefix.
        let noMatch = Self.answer(top, in: profiles, client: "10.1.1.1", source: 24, locator: Self.map)
        #expect(noMatch.answer == [] && noMatch.scope == 24)
        #expect(noMatch.reasons == ["geo: no match none"])
    }

    @Test func nestedAnswersTheLeafAndFailsOverInsideTheChild() {
        let east = Self.profile(
            "east", .priority,
            [
                Self.external(0, "127.0.0.21", priority: 1),
                Self.external(1, "127.0.0.22", priority: 2),
            ])
        let top = Self.profile(
            "app", .geographic,
            [
                Self.nested(2, "east", geo: ["GEO-NA"]),
                Self.external(3, "127.0.0.51", geo: ["WORLD"]),
            ])
        var health = HealthVector(endpointCount: 4)
        let first = Self.answer(top, in: [east, top], health: health, client: "198.51.100.1", locator: Self.map)
        #expect(first.answer == ["127.0.0.21"])
        #expect(first.reasons == ["app: geo e2 GEO-NA ecs subnets /24", "east: primary e0"])
        health[0] = .degraded
        let failedOver = Self.answer(top, in: [east, top], health: health, client: "198.51.100.1", locator: Self.map)
        #expect(failedOver.answer == ["127.0.0.22"])
        #expect(failedOver.reasons == ["app: geo e2 GEO-NA ecs subnets /24", "east: failover e1 from e0 Degraded"])
        // Both down: the child fails open, and Geographic still returns its match.
        health[1] = .degraded
        let failedOpen = Self.answer(top, in: [east, top], health: health, client: "198.51.100.1", locator: Self.map)
        #expect(failedOpen.answer == ["127.0.0.21"])
        #expect(failedOpen.reasons == ["app: geo e2 GEO-NA ecs subnets /24", "east: fail-open e0"])
    }

    @Test func nestingThreeLevelsDeep() {
        let leaf = Self.profile("leaf", .priority, [Self.external(0, "2001:db8::21")])
        let middle = Self.profile("middle", .priority, [Self.nested(1, "leaf")])
        let top = Self.profile("top", .priority, [Self.nested(2, "middle")])
        let result = Self.answer(top, in: [leaf, middle, top], client: "127.0.0.1")
        #expect(result.answer == ["2001:db8::21"])
        #expect(result.reasons == ["top: primary e2", "middle: primary e1", "leaf: primary e0"])
    }

    @Test func minChildEndpointThresholds() {
        let v6only = Self.profile(
            "v6only", .priority, [Self.external(0, "2001:db8::1"), Self.external(1, "2001:db8::2")])
        let mixed = Self.profile("mixed", .priority, [Self.external(2, "127.0.0.31"), Self.external(3, "2001:db8::3")])
        let off = Self.profile("off", .priority, enabled: false, [Self.external(4, "127.0.0.1")])
        /// The status of a nested endpoint towards `child` with these thresholds, as routing computes it.
        func status(_ nested: Endpoint, _ verdicts: [MonitorStatus]) -> MonitorStatus {
            let parent = Self.profile("parent", .priority, [nested])
            let table = RoutingTable(
                profiles: ProfileSet([v6only, mixed, off, parent]),
                health: HealthVector(verdicts: verdicts + [.checkingEndpoint]))
            return table[profile: 3].statuses[0]
        }
        let online: [MonitorStatus] = Array(repeating: .online, count: 4)
        #expect(status(Self.nested(5, "v6only", min4: 1), online) == .degraded)
        #expect(status(Self.nested(5, "v6only", min6: 2), online) == .online)
        #expect(status(Self.nested(5, "v6only", min: 3), online) == .degraded)
        #expect(
            status(Self.nested(5, "v6only", min: 2), [.checkingEndpoint, .online, .online, .online])
                == .checkingEndpoint)
        #expect(status(Self.nested(5, "v6only"), [.degraded, .degraded, .online, .online]) == .degraded)
        #expect(status(Self.nested(5, "off"), online) == .stopped)
        // The first child lacks an IPv4 endpoint: the parent fails over to the second, and says why.
        let parent = Self.profile(
            "parent", .priority,
            [
                Self.nested(5, "v6only", min4: 1),
                Self.nested(6, "mixed", priority: 2),
            ])
        let result = Self.answer(
            parent, in: [v6only, mixed, parent], health: HealthVector(verdicts: online),
            client: "127.0.0.1")
        #expect(result.answer == ["127.0.0.31"])
        #expect(result.reasons == ["parent: failover e6 from e5 Degraded", "mixed: primary e2"])
    }

    @Test func subnetMethodRangesFallbackAndScope() {
        let top = Self.profile(
            "sub", .subnet,
            [
                Self.external(0, "127.0.0.1", subnets: [SubnetRange(network: IPNetwork("192.0.2.0/24")!)]),
                Self.external(
                    1, "127.0.0.2",
                    subnets: [
                        SubnetRange(
                            first: IPAddress("198.51.100.10")!,
                            last: IPAddress("198.51.100.20")!)!,
                        SubnetRange(network: IPNetwork("2001:db8::/32")!),
                    ]),
                Self.external(
                    2, "127.0.0.3", enabled: false, subnets: [SubnetRange(network: IPNetwork("10.0.0.0/8")!)]),
                Self.external(3, "127.0.0.9"),
            ])
        #expect(Self.answer(top, in: [top], client: "192.0.2.77").answer == ["127.0.0.1"])
        #expect(Self.answer(top, in: [top], client: "192.0.2.77").scope == 24)
        #expect(Self.answer(top, in: [top], client: "192.0.2.77").reasons == ["sub: subnet e0 192.0.2.0/24"])
        // A first-last range decides nothing CIDR-shaped: the scope is the source prefix.
        #expect(Self.answer(top, in: [top], client: "198.51.100.15", source: 32).scope == 32)
        #expect(Self.answer(top, in: [top], client: "198.51.100.15").answer == ["127.0.0.2"])
        #expect(Self.answer(top, in: [top], client: "2001:db8::5", source: 56).answer == ["127.0.0.2"])
        // A disabled endpoint's ranges do not exist: the fallback answers.
        #expect(Self.answer(top, in: [top], client: "10.1.1.1").answer == ["127.0.0.9"])
        #expect(Self.answer(top, in: [top], client: "10.1.1.1").reasons == ["sub: subnet fallback e3"])
        // A range whose endpoint is Degraded answers the fallback, and says so.
        var health = HealthVector(endpointCount: 4)
        health[0] = .degraded
        let moved = Self.answer(top, in: [top], health: health, client: "192.0.2.77")
        #expect(moved.answer == ["127.0.0.9"] && moved.reasons == ["sub: subnet fallback e3"] && moved.scope == 24)
        let noFallback = Self.profile(
            "sub", .subnet,
            [
                Self.external(
                    0, "127.0.0.1",
                    subnets: [
                        SubnetRange(network: IPNetwork("192.0.2.0/24")!)
                    ])
            ])
        #expect(Self.answer(noFallback, in: [noFallback], client: "10.1.1.1").answer == [])
        #expect(Self.answer(noFallback, in: [noFallback], client: "10.1.1.1").reasons == ["sub: no match"])
    }

    @Test func weightedDistribution() {
        let top = Self.profile(
            "w", .weighted,
            [
                Self.external(0, "127.0.0.1", weight: 1),
                Self.external(1, "127.0.0.2", weight: 3),
                Self.external(2, "127.0.0.3", enabled: false, weight: 100),
            ])
        var generator = SeededGenerator(seed: 42)
        var counts: [String: Int] = [:]
        for _ in 0..<10_000 {
            let value = Double.random(in: 0..<1, using: &generator)
            counts[Self.answer(top, in: [top], client: "127.0.0.1", random: value).answer[0], default: 0] += 1
        }
        #expect(counts["127.0.0.3"] == nil)
        #expect(abs(Double(counts["127.0.0.2"] ?? 0) / 10_000 - 0.75) < 0.02)
        // A degraded endpoint leaves the draw; the scope stays 0 (weights do not depend on the client).
        var health = HealthVector(endpointCount: 3)
        health[1] = .degraded
        let result = Self.answer(top, in: [top], health: health, client: "127.0.0.1", random: 0.9)
        #expect(result.answer == ["127.0.0.1"] && result.scope == nil)
        // One candidate left: the choice is made when the plan is built, not per query.
        #expect(result.reasons == ["w: weighted e0 1/1"])
        #expect(Self.answer(top, in: [top], client: "127.0.0.1", random: 0.9).reasons == ["w: weighted e1 3/4"])
        // Both Degraded: every enabled endpoint is drawn from again (fail-open).
        health[0] = .degraded
        #expect(
            Self.answer(top, in: [top], health: health, client: "127.0.0.1", random: 0.1).reasons
                == ["w: weighted e0 1/4 fail-open"])
    }

    @Test func multiValueAnswersUpToMaxReturnOfEachFamily() {
        let top = Self.profile(
            "mv", .multiValue, maxReturn: 2,
            [
                Self.external(0, "127.0.0.1"), Self.external(1, "127.0.0.2"), Self.external(2, "127.0.0.3"),
                Self.external(3, "2001:db8::1"),
            ])
        var health = HealthVector(endpointCount: 4)
        #expect(
            Self.answer(top, in: [top], health: health, client: "127.0.0.1").answer
                == ["127.0.0.1", "127.0.0.2", "2001:db8::1"])
        #expect(Self.answer(top, in: [top], health: health, client: "127.0.0.1").reasons == ["mv: multivalue e0,e1,e3"])
        health[0] = .degraded
        #expect(
            Self.answer(top, in: [top], health: health, client: "127.0.0.1").answer
                == ["127.0.0.2", "127.0.0.3", "2001:db8::1"])
        #expect(Self.answer(top, in: [top], health: health, client: "127.0.0.1").reasons == ["mv: multivalue e1,e2,e3"])
        let allDown = HealthVector(verdicts: Array(repeating: .degraded, count: 4))
        #expect(
            Self.answer(top, in: [top], health: allDown, client: "127.0.0.1").reasons
                == ["mv: multivalue e0,e1,e3 fail-open"])
    }

    @Test func azureGroupingsAreAzuresNotContinents() {
        #expect(ClientLocation.expand("US-TX") == ["US-TX", "US", "GEO-NA", "WORLD"])
        #expect(ClientLocation.expand("TR") == ["TR", "GEO-ME", "WORLD"])
        #expect(ClientLocation.expand("IL") == ["IL", "GEO-ME", "WORLD"])
        #expect(ClientLocation.expand("SA") == ["SA", "GEO-ME", "WORLD"])
        #expect(ClientLocation.expand("RU") == ["RU", "GEO-EU", "WORLD"])
        #expect(ClientLocation.expand("MX") == ["MX", "GEO-NA", "WORLD"])
        #expect(ClientLocation.expand("JM") == ["JM", "GEO-NA", "WORLD"])
        #expect(ClientLocation.expand("GB-SCT") == ["GB-SCT", "GB", "GEO-EU", "WORLD"])
        #expect(ClientLocation.expand("AU-NSW") == ["AU-NSW", "AU", "GEO-AP", "WORLD"])
        #expect(ClientLocation.expand("BR") == ["BR", "GEO-SA", "WORLD"])
        for code in ["WORLD", "GEO-AN", "CA-ON", "US-DC", "XK", "GB-WLS"] { #expect(GeoHierarchy.isKnown(code)) }
        for code in ["GEO-XX", "ZZ", "US-XX", "EU"] { #expect(!GeoHierarchy.isKnown(code)) }
    }
}

/// A deterministic generator (SplitMix64), so the distribution test is repeatable.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
