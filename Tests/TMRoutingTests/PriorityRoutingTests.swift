import TMRouting
import Testing

/// Priority routing read from the route plan that serves: tables of endpoint states to the endpoint answered and
/// the reason.
struct PriorityRoutingTests {
    /// One endpoint of a three-endpoint profile, priorities 1, 2, 3 in that order.
    struct EndpointState: Sendable {
        let enabled: Bool
        let verdict: MonitorStatus
        var alwaysServe = false
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let states: [EndpointState]
        let profileEnabled: Bool
        let expected: String?
        let reason: Reason
        var testDescription: String { label }
    }

    static func on(_ verdict: MonitorStatus) -> EndpointState { EndpointState(enabled: true, verdict: verdict) }
    static let off = EndpointState(enabled: false, verdict: .online)

    static let cases: [Case] = [
        Case(
            label: "all checking: first",
            states: [on(.checkingEndpoint), on(.checkingEndpoint), on(.checkingEndpoint)],
            profileEnabled: true, expected: "p1", reason: .primary(endpoint: 0)),
        Case(
            label: "all online: first", states: [on(.online), on(.online), on(.online)], profileEnabled: true,
            expected: "p1", reason: .primary(endpoint: 0)),
        Case(
            label: "first degraded: second", states: [on(.degraded), on(.online), on(.online)], profileEnabled: true,
            expected: "p2", reason: .failover(endpoint: 1, from: 0, fromStatus: .degraded)),
        Case(
            label: "two degraded: third", states: [on(.degraded), on(.degraded), on(.checkingEndpoint)],
            profileEnabled: true, expected: "p3", reason: .failover(endpoint: 2, from: 0, fromStatus: .degraded)),
        Case(
            label: "first disabled: second", states: [off, on(.online), on(.online)], profileEnabled: true,
            expected: "p2", reason: .primary(endpoint: 1)),
        Case(
            label: "all degraded: fail open to first", states: [on(.degraded), on(.degraded), on(.degraded)],
            profileEnabled: true, expected: "p1", reason: .failOpen(endpoint: 0)),
        Case(
            label: "disabled never served, even failing open", states: [off, on(.degraded), on(.degraded)],
            profileEnabled: true, expected: "p2", reason: .failOpen(endpoint: 1)),
        Case(
            label: "always serve is eligible while degraded by probes",
            states: [EndpointState(enabled: true, verdict: .degraded, alwaysServe: true), on(.online), on(.online)],
            profileEnabled: true, expected: "p1", reason: .primary(endpoint: 0)),
        Case(
            label: "no enabled endpoint", states: [off, off, off], profileEnabled: true,
            expected: nil, reason: .noEndpoints),
        Case(
            label: "disabled profile", states: [on(.online), on(.online), on(.online)], profileEnabled: false,
            expected: nil, reason: .profileDisabled),
    ]

    static func profile(_ states: [EndpointState], enabled: Bool = true) -> (Profile, HealthVector) {
        var health = HealthVector(endpointCount: states.count)
        // Listed in reverse to prove the order comes from priority, not from the file.
        let endpoints = states.enumerated().reversed().map { index, state in
            health[index] = state.verdict
            return Endpoint(
                id: index, name: "p\(index + 1)", target: .ipv4(IPv4Address(UInt32(index + 1))),
                isEnabled: state.enabled, priority: index + 1, alwaysServe: state.alwaysServe)
        }
        let profile = Profile(
            name: "app", fqdn: DomainName("app.tm.example.")!, isEnabled: enabled,
            method: .priority, ttl: 30, monitor: MonitorConfig(), endpoints: endpoints)
        return (profile, health)
    }

    /// The profile's route from the table that serves, and the name of the endpoint it answers.
    static func route(_ profile: Profile, _ health: HealthVector) -> (route: ProfileRoute, answer: String?) {
        let table = RoutingTable(profiles: ProfileSet([profile]), health: health)
        let route = table[profile: 0]
        let answered = route.answer?.endpointID.flatMap { id in profile.endpoints.first { $0.id == id }?.name }
        return (route, answered)
    }

    @Test(arguments: cases)
    func priorityDecision(_ testCase: Case) {
        let (profile, health) = Self.profile(testCase.states, enabled: testCase.profileEnabled)
        let (route, answer) = Self.route(profile, health)
        #expect(answer == testCase.expected)
        #expect(route.decision.steps == [Step(profile: "app", reason: testCase.reason)])
        #expect(route.decision.isPerQuery == false)
        #expect(
            route.decision.failsOpen == (testCase.label.contains("fail open") || testCase.label.contains("failing")))
    }

    @Test func failbackWhenPrimaryRecovers() {
        var (profile, health) = Self.profile([Self.on(.degraded), Self.on(.online)])
        #expect(Self.route(profile, health).answer == "p2")
        health[0] = .online
        #expect(Self.route(profile, health).answer == "p1")
        #expect(Self.route(profile, health).route.decision.steps.first?.reason == .primary(endpoint: 0))
        profile = Self.profile([Self.on(.online)]).0
        #expect(Self.route(profile, health).answer == "p1")
    }

    @Test func monitorStatusCombinesConfigurationAndProbes() {
        let (profile, health) = Self.profile([
            Self.on(.checkingEndpoint), Self.on(.online), Self.on(.degraded), Self.off,
            EndpointState(enabled: true, verdict: .degraded, alwaysServe: true),
        ])
        // Statuses come in the profile's (priority) order.
        #expect(
            Self.route(profile, health).route.statuses
                == [.checkingEndpoint, .online, .degraded, .disabled, .unmonitored])
        let (disabled, _) = Self.profile([Self.on(.online)], enabled: false)
        #expect(Self.route(disabled, health).route.statuses == [.inactive])
        #expect(Self.route(disabled, health).route.profileStatus == .disabled)
    }

    /// A health change plans again only the profile holding the endpoint and those nesting it.
    @Test func updatingReplansOnlyAffectedProfiles() {
        let a = Profile(
            name: "a", fqdn: DomainName("a.tm.example.")!, isEnabled: true, method: .priority, ttl: 30,
            monitor: MonitorConfig(),
            endpoints: [
                Endpoint(
                    id: 0, name: "a1", target: EndpointTarget("127.0.0.1")!, isEnabled: true,
                    priority: 1),
                Endpoint(
                    id: 1, name: "a2", target: EndpointTarget("127.0.0.2")!, isEnabled: true,
                    priority: 2),
            ])
        let b = Profile(
            name: "b", fqdn: DomainName("b.tm.example.")!, isEnabled: true, method: .priority, ttl: 30,
            monitor: MonitorConfig(),
            endpoints: [
                Endpoint(
                    id: 2, name: "b1", target: EndpointTarget("127.0.0.3")!, isEnabled: true,
                    priority: 1)
            ])
        let top = Profile(
            name: "top", fqdn: DomainName("top.tm.example.")!, isEnabled: true, method: .priority,
            ttl: 30, monitor: MonitorConfig(),
            endpoints: [
                Endpoint(
                    id: 3, name: "to-a", target: .name(DomainName("a.tm.example.")!),
                    isEnabled: true, priority: 1, nested: NestedTarget(profile: "a"))
            ])
        let table = RoutingTable(profiles: ProfileSet([a, b, top]), health: HealthVector(endpointCount: 4))
        var health = table.health
        health[0] = .degraded
        let (updated, changed) = table.updating(health: health, endpoints: [0])
        #expect(changed == [0, 2])
        #expect(
            updated.routes.map(\.decision)
                == RoutingTable(profiles: table.profiles, health: health).routes
                .map(\.decision))
        #expect(
            updated[profile: 2].decision.steps == [
                Step(profile: "top", reason: .primary(endpoint: 3)),
                Step(profile: "a", reason: .failover(endpoint: 1, from: 0, fromStatus: .degraded)),
            ])
        // A verdict that changes no status changes no route.
        #expect(updated.updating(health: health, endpoints: [0]).changed == [])
    }
}
