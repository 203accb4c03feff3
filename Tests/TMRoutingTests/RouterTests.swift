import Testing
import TMRouting

/// Priority routing as a pure function: tables of endpoint states to the endpoint answered and why.
struct RouterTests {
    /// One endpoint of a three-endpoint profile, priorities 1, 2, 3 in that order.
    struct EndpointState: Sendable {
        let enabled: Bool
        let health: ProbeHealth
        var alwaysServe = false
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let states: [EndpointState]
        let profileEnabled: Bool
        let expected: String?
        let reason: Decision.Reason
        var testDescription: String { label }
    }

    static func on(_ health: ProbeHealth) -> EndpointState { EndpointState(enabled: true, health: health) }
    static let off = EndpointState(enabled: false, health: .online)

    static let cases: [Case] = [
        Case(label: "all checking: first", states: [on(.checking), on(.checking), on(.checking)], profileEnabled: true,
             expected: "p1", reason: .primary),
        Case(label: "all online: first", states: [on(.online), on(.online), on(.online)], profileEnabled: true,
             expected: "p1", reason: .primary),
        Case(label: "first degraded: second", states: [on(.degraded), on(.online), on(.online)], profileEnabled: true,
             expected: "p2", reason: .failover(skipped: 1)),
        Case(label: "two degraded: third", states: [on(.degraded), on(.degraded), on(.checking)],
             profileEnabled: true, expected: "p3", reason: .failover(skipped: 2)),
        Case(label: "first disabled: second", states: [off, on(.online), on(.online)], profileEnabled: true,
             expected: "p2", reason: .primary),
        Case(label: "all degraded: fail open to first", states: [on(.degraded), on(.degraded), on(.degraded)],
             profileEnabled: true, expected: "p1", reason: .failOpen),
        Case(label: "disabled never served, even failing open", states: [off, on(.degraded), on(.degraded)],
             profileEnabled: true, expected: "p2", reason: .failOpen),
        Case(label: "always serve is eligible while degraded by probes",
             states: [EndpointState(enabled: true, health: .degraded, alwaysServe: true), on(.online), on(.online)],
             profileEnabled: true, expected: "p1", reason: .primary),
        Case(label: "no enabled endpoint", states: [off, off, off], profileEnabled: true,
             expected: nil, reason: .noEndpoints),
        Case(label: "disabled profile", states: [on(.online), on(.online), on(.online)], profileEnabled: false,
             expected: nil, reason: .profileDisabled),
    ]

    static func profile(_ states: [EndpointState], enabled: Bool = true) -> (Profile, HealthVector) {
        var health = HealthVector(endpointCount: states.count)
        // Listed in reverse to prove the order comes from priority, not from the file.
        let endpoints = states.enumerated().reversed().map { index, state in
            health[index] = state.health
            return Endpoint(id: index, name: "p\(index + 1)", target: .ipv4(IPv4Address(UInt32(index + 1))),
                            isEnabled: state.enabled, priority: index + 1, alwaysServe: state.alwaysServe)
        }
        let profile = Profile(name: "app", fqdn: DomainName("app.tm.example.")!, isEnabled: enabled,
                              method: .priority, ttl: 30, monitor: MonitorConfig(), endpoints: endpoints)
        return (profile, health)
    }

    @Test(arguments: cases)
    func priorityDecision(_ testCase: Case) {
        let (profile, health) = Self.profile(testCase.states, enabled: testCase.profileEnabled)
        let decision = Router.decide(profile, health: health)
        #expect(decision.endpoint?.name == testCase.expected)
        #expect(decision.reason == testCase.reason)
    }

    @Test func failbackWhenPrimaryRecovers() {
        var (profile, health) = Self.profile([Self.on(.degraded), Self.on(.online)])
        #expect(Router.decide(profile, health: health).endpoint?.name == "p2")
        health[0] = .online
        #expect(Router.decide(profile, health: health).endpoint?.name == "p1")
        _ = profile
        profile = Self.profile([Self.on(.online)]).0
        #expect(Router.decide(profile, health: health).reason == .primary)
    }

    @Test func monitorStatusCombinesConfigurationAndProbes() {
        let (profile, health) = Self.profile([
            Self.on(.checking), Self.on(.online), Self.on(.degraded), Self.off,
            EndpointState(enabled: true, health: .degraded, alwaysServe: true),
        ])
        let statuses = profile.endpoints.map { health.status(of: $0, in: profile) }
        #expect(statuses == [.checkingEndpoint, .online, .degraded, .disabled, .unmonitored])
        let (disabled, _) = Self.profile([Self.on(.online)], enabled: false)
        #expect(health.status(of: disabled.endpoints[0], in: disabled) == .inactive)
    }
}
