import Foundation
import TMRouting
import Testing

/// Admin overrides over probe verdicts: tables of verdicts and overrides to the endpoint answered and the reason.
struct AdminOverrideRoutingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let verdicts: [MonitorStatus]
        let overrides: [Int: AdminAction]
        let expected: String?
        let reason: Reason
        let statuses: [MonitorStatus]
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(
            label: "primary drained while Online: the second answers", verdicts: [.online, .online],
            overrides: [0: .drained], expected: "p2", reason: .primary(endpoint: 1), statuses: [.disabled, .online]),
        Case(
            label: "primary forced down while Online: failover", verdicts: [.online, .online],
            overrides: [0: .forcedDown], expected: "p2",
            reason: .failover(endpoint: 1, from: 0, fromStatus: .degraded), statuses: [.degraded, .online]),
        Case(
            label: "primary forced up while Degraded: it answers", verdicts: [.degraded, .online],
            overrides: [0: .forcedUp], expected: "p1", reason: .primary(endpoint: 0), statuses: [.online, .online]),
        Case(
            label: "both forced down: fail open to the first", verdicts: [.online, .online],
            overrides: [0: .forcedDown, 1: .forcedDown], expected: "p1", reason: .failOpen(endpoint: 0),
            statuses: [.degraded, .degraded]),
        Case(
            label: "drained is never answered, even failing open", verdicts: [.degraded, .degraded],
            overrides: [0: .drained], expected: "p2", reason: .failOpen(endpoint: 1),
            statuses: [.disabled, .degraded]),
        Case(
            label: "all drained: no endpoint", verdicts: [.online, .online], overrides: [0: .drained, 1: .drained],
            expected: nil, reason: .noEndpoints, statuses: [.disabled, .disabled]),
    ]

    static func health(_ verdicts: [MonitorStatus], _ overrides: [Int: AdminAction]) -> HealthVector {
        var health = HealthVector(verdicts: verdicts)
        for (id, action) in overrides {
            health.overrides[id] = AdminOverride(action: action, by: "test", reason: nil, until: nil)
        }
        return health
    }

    @Test(arguments: cases)
    func overrideDecision(_ testCase: Case) {
        let (profile, _) = PriorityRoutingTests.profile(testCase.verdicts.map { PriorityRoutingTests.on($0) })
        let (route, answer) = PriorityRoutingTests.route(
            profile, Self.health(testCase.verdicts, testCase.overrides))
        #expect(answer == testCase.expected)
        #expect(route.decision.steps == [Step(profile: "app", reason: testCase.reason)])
        #expect(route.statuses == testCase.statuses)
    }

    /// A nested child whose endpoints are all drained is Stopped for its parent, which answers the other child.
    @Test func drainedChildStopsTheNestedEndpoint() {
        func endpoint(_ id: Int, _ name: String, priority: Int, nested: String? = nil) -> Endpoint {
            Endpoint(
                id: id, name: name,
                target: nested.map { .name(DomainName("\($0).tm.example.")!) } ?? EndpointTarget("127.0.0.\(id + 1)")!,
                isEnabled: true, priority: priority, nested: nested.map { NestedTarget(profile: $0) })
        }
        let mec = Profile(
            name: "mec", fqdn: DomainName("mec.tm.example.")!, isEnabled: true, method: .priority, ttl: 30,
            monitor: MonitorConfig(), endpoints: [endpoint(0, "m1", priority: 1), endpoint(1, "m2", priority: 2)])
        let region = Profile(
            name: "region", fqdn: DomainName("region.tm.example.")!, isEnabled: true, method: .priority, ttl: 30,
            monitor: MonitorConfig(), endpoints: [endpoint(2, "r1", priority: 1)])
        let top = Profile(
            name: "top", fqdn: DomainName("top.tm.example.")!, isEnabled: true, method: .priority, ttl: 30,
            monitor: MonitorConfig(),
            endpoints: [
                endpoint(3, "to-mec", priority: 1, nested: "mec"),
                endpoint(4, "to-region", priority: 2, nested: "region"),
            ])
        let profiles = ProfileSet([mec, region, top])
        let verdicts: [MonitorStatus] = [.online, .online, .online, .checkingEndpoint, .checkingEndpoint]
        let served = RoutingTable(profiles: profiles, health: Self.health(verdicts, [:]))
        #expect(served[profile: 2].answer?.endpointID == 0)
        let drained = RoutingTable(profiles: profiles, health: Self.health(verdicts, [0: .drained, 1: .drained]))
        #expect(drained[profile: 2].statuses == [.stopped, .online])
        #expect(drained[profile: 2].answer?.endpointID == 2)
        // Draining the nested endpoint itself has the same effect, whatever the child's health.
        let nestedDrained = RoutingTable(profiles: profiles, health: Self.health(verdicts, [3: .drained]))
        #expect(nestedDrained[profile: 2].statuses == [.disabled, .online])
        #expect(nestedDrained[profile: 2].answer?.endpointID == 2)
    }
}
