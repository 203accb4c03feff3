import Foundation
import TMRouting
import Testing

/// Which TTL each answer of a profile with `dnsConfig.adaptiveTtl` is prepared with, from verdicts and the monitor's
/// "may change in" times: tables of health -> (answer, TTL). TTL nil means the profile's own (30 s here).
struct AdaptiveTTLRoutingTests {
    typealias T = RoutePlanTests

    static func profile(
        _ name: String, _ method: RoutingMethod, adaptive: Bool = true, ttl: UInt32 = 30, _ endpoints: [Endpoint]
    ) -> Profile {
        Profile(
            name: name, fqdn: T.apex.prepending(name), isEnabled: true, method: method, ttl: ttl,
            adaptiveTTL: adaptive, monitor: MonitorConfig(), endpoints: endpoints)
    }

    static func health(
        _ verdicts: [Int: MonitorStatus] = [:], mayChangeIn: [Int: Double] = [:],
        overrides: [Int: AdminAction] = [:]
    ) -> HealthVector {
        var health = HealthVector(verdicts: (0..<16).map { verdicts[$0] ?? .online })
        health.verdictMayChangeIn = mayChangeIn
        health.overrides = overrides.mapValues { AdminOverride(action: $0, by: "test", reason: nil, until: nil) }
        return health
    }

    /// The answered addresses and the TTL of the answer set the query path selects for `client`.
    static func answer(
        _ name: String, in profiles: [Profile], health: HealthVector, client: String = "10.0.0.1",
        locator: ClientLocator = .none, random: Double = 0.5
    ) -> (answer: [String], ttl: UInt32?) {
        let table = RoutingTable(profiles: ProfileSet(profiles), health: health)
        let route = table[profile: profiles.firstIndex { $0.name == name }!]
        var query = ClientQuery(address: IPAddress(client)!, origin: .ecs, sourcePrefixLength: 32, locator: locator)
        guard let index = route.plan.select(for: &query, random: { random }) else { return ([], nil) }
        let set = route.answerSets[index]
        return (set.a.map(\.description) + set.aaaa.map(\.description), set.ttl)
    }

    static let priority = [
        profile("app", .priority, [T.external(0, "127.0.0.11", priority: 1), T.external(1, "127.0.0.12", priority: 2)])
    ]

    struct Case: Sendable, CustomTestStringConvertible {
        let what: String
        let health: HealthVector
        let answer: String
        let ttl: UInt32?
        var testDescription: String { what }
    }

    @Test(arguments: [
        Case(what: "healthy: the profile's TTL", health: health(), answer: "127.0.0.11", ttl: nil),
        Case(
            what: "primary failed a probe, Degraded in 1.85 s: rounded up", health: health(mayChangeIn: [0: 1.85]),
            answer: "127.0.0.11", ttl: 2),
        Case(
            what: "primary Degraded, Online again in 0.95 s: failover for 1 s",
            health: health([0: .degraded], mayChangeIn: [0: 0.95]), answer: "127.0.0.12", ttl: 1),
        Case(
            what: "failover to an endpoint that is failing too: the sooner change",
            health: health([0: .degraded], mayChangeIn: [0: 2.9, 1: 1.5]), answer: "127.0.0.12", ttl: 2),
        Case(
            what: "a failing endpoint below the answer changes nothing", health: health(mayChangeIn: [1: 1.5]),
            answer: "127.0.0.11", ttl: nil),
        Case(
            what: "a change further off than the TTL: the profile's TTL", health: health(mayChangeIn: [0: 45]),
            answer: "127.0.0.11", ttl: nil),
        Case(
            what: "a change due at once: the 1 s minimum", health: health(mayChangeIn: [0: 0]),
            answer: "127.0.0.11", ttl: 1),
        Case(
            what: "forced up: no probe can take it down",
            health: health(mayChangeIn: [0: 1.85], overrides: [0: .forcedUp]), answer: "127.0.0.11", ttl: nil),
        Case(
            what: "forced down: no probe brings it back",
            health: health(mayChangeIn: [0: 0.95], overrides: [0: .forcedDown]), answer: "127.0.0.12", ttl: nil),
        Case(
            what: "failing open: until the other endpoint could be Online (the pick's own return changes nothing)",
            health: health([0: .degraded, 1: .degraded], mayChangeIn: [0: 3.2, 1: 5.5]), answer: "127.0.0.11",
            ttl: 6),
    ])
    func priority(_ row: Case) {
        let result = Self.answer("app", in: Self.priority, health: row.health)
        #expect(result.answer == [row.answer])
        #expect(result.ttl == row.ttl)
    }

    @Test func offUnlessAskedForAndNeverAboveTheProfileTTL() {
        let failing = Self.health(mayChangeIn: [0: 1.85])
        let plain = [
            Self.profile("app", .priority, adaptive: false, [T.external(0, "127.0.0.11"), T.external(1, "127.0.0.12")])
        ]
        #expect(Self.answer("app", in: plain, health: failing).ttl == nil)
        let zero = [Self.profile("app", .priority, ttl: 0, [T.external(0, "127.0.0.11")])]
        #expect(Self.answer("app", in: zero, health: failing).ttl == nil, "a TTL of 0 is never raised")
        let short = [Self.profile("app", .priority, ttl: 2, [T.external(0, "127.0.0.11")])]
        #expect(Self.answer("app", in: short, health: Self.health(mayChangeIn: [0: 1.5])).ttl == nil)
        #expect(Self.answer("app", in: short, health: Self.health(mayChangeIn: [0: 0.5])).ttl == 1)
    }

    /// The reference deployment: a Geographic parent over a Priority child. The parent's own setting decides; the
    /// child's health lowers the parent's answers, per client, and the child's own name keeps its fixed TTL.
    @Test func nestedGeographicOverPriority() {
        let east = Self.profile(
            "east", .priority, adaptive: false,
            [T.external(0, "127.0.0.21", priority: 1), T.external(1, "127.0.0.22", priority: 2)])
        let europe = Self.profile("europe", .priority, adaptive: false, [T.external(2, "127.0.0.31")])
        let top = Self.profile(
            "svc", .geographic, [T.nested(3, "east", geo: ["US-TX"]), T.nested(4, "europe", geo: ["WORLD"])])
        let profiles = [east, europe, top]
        let texas = "198.51.100.7"
        let failing = Self.health(mayChangeIn: [0: 1.85])
        #expect(Self.answer("svc", in: profiles, health: failing, client: texas, locator: T.map) == (["127.0.0.21"], 2))
        #expect(Self.answer("svc", in: profiles, health: failing, locator: T.map) == (["127.0.0.31"], nil))
        #expect(Self.answer("east", in: profiles, health: failing) == (["127.0.0.21"], nil))
        let failedOver = Self.health([0: .degraded], mayChangeIn: [0: 0.95])
        #expect(
            Self.answer("svc", in: profiles, health: failedOver, client: texas, locator: T.map) == (["127.0.0.22"], 1))
    }

    @Test func priorityOverANestedChildThatIsDegraded() {
        let child = Self.profile(
            "child", .priority, adaptive: false,
            [T.external(0, "127.0.0.21", priority: 1), T.external(1, "127.0.0.22", priority: 2)])
        let top = Self.profile(
            "top", .priority, [T.nested(2, "child", priority: 1), T.external(3, "127.0.0.9", priority: 2)])
        // The nested endpoint is back as soon as either of its child's endpoints is.
        let health = Self.health([0: .degraded, 1: .degraded], mayChangeIn: [0: 4.2, 1: 2.5])
        #expect(Self.answer("top", in: [child, top], health: health) == (["127.0.0.9"], 3))
    }

    @Test func subnetRangeOnItsFallback() {
        let range = SubnetRange(first: IPAddress("192.0.2.0")!, last: IPAddress("192.0.2.255")!)!
        let top = Self.profile(
            "net", .subnet, [T.external(0, "127.0.0.1", subnets: [range]), T.external(1, "127.0.0.2", priority: 2)])
        let health = Self.health([0: .degraded], mayChangeIn: [0: 0.9])
        #expect(Self.answer("net", in: [top], health: health, client: "192.0.2.7") == (["127.0.0.2"], 1))
        // Outside the range the fallback is no failover: nothing is about to change it.
        #expect(Self.answer("net", in: [top], health: health, client: "10.0.0.1") == (["127.0.0.2"], nil))
    }

    @Test func weightedAndMultiValueFollowTheirAnsweredEndpoints() {
        let endpoints = [T.external(0, "127.0.0.1", priority: 1), T.external(1, "127.0.0.2", priority: 2)]
        let failing = Self.health(mayChangeIn: [0: 1.85])
        let weighted = [Self.profile("w", .weighted, endpoints)]
        #expect(Self.answer("w", in: weighted, health: failing, random: 0.1) == (["127.0.0.1"], 2))
        #expect(Self.answer("w", in: weighted, health: failing, random: 0.9) == (["127.0.0.2"], nil))
        let multi = [Self.profile("m", .multiValue, endpoints)]
        #expect(Self.answer("m", in: multi, health: failing) == (["127.0.0.1", "127.0.0.2"], 2))
    }
}
