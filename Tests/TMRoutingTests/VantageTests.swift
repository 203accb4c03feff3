import TMRouting
import Testing

/// How a fleet combines its vantage points' verdicts: `degradedWhen` over live verdicts, and the view's merge
/// with a server's own.
struct VantageTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let rule: DegradedWhen
        let verdicts: [MonitorStatus]
        let expected: MonitorStatus
        var testDescription: String { "\(rule) of \(verdicts.map(\.rawValue))" }
    }

    static let cases: [Case] = [
        Case(rule: .majority, verdicts: [.degraded, .online, .online], expected: .online),
        Case(rule: .majority, verdicts: [.degraded, .degraded, .online], expected: .degraded),
        // Half is not more than half.
        Case(rule: .majority, verdicts: [.degraded, .online], expected: .online),
        Case(rule: .majority, verdicts: [.degraded], expected: .degraded),
        // A vantage point still checking does not count either way.
        Case(rule: .majority, verdicts: [.degraded, .checkingEndpoint, .checkingEndpoint], expected: .degraded),
        Case(rule: .majority, verdicts: [.checkingEndpoint], expected: .checkingEndpoint),
        Case(rule: .any, verdicts: [.online, .online, .degraded], expected: .degraded),
        Case(rule: .any, verdicts: [.online, .online], expected: .online),
        Case(rule: .all, verdicts: [.degraded, .degraded, .online], expected: .online),
        Case(rule: .all, verdicts: [.degraded, .degraded], expected: .degraded),
        Case(rule: .fraction(2.0 / 3), verdicts: [.degraded, .degraded, .online], expected: .degraded),
        Case(rule: .fraction(2.0 / 3), verdicts: [.degraded, .online, .online], expected: .online),
        Case(rule: .fraction(0.5), verdicts: [.degraded, .online], expected: .degraded),
        Case(rule: .fraction(1), verdicts: [.degraded, .degraded, .online], expected: .online),
    ]

    @Test(arguments: cases)
    func degradedWhen(_ testCase: Case) {
        #expect(testCase.rule.combine(testCase.verdicts) == testCase.expected)
    }

    static let keys = [
        EndpointKey(profile: "app", endpoint: "mec"), EndpointKey(profile: "app", endpoint: "region"),
    ]

    @Test func combinedUsesOwnVerdictWithTheOthers() {
        var view = VantageView()
        view.set(.degraded, of: Self.keys[0], by: "ns2")
        view.set(.degraded, of: Self.keys[0], by: "ns3")
        // The view's copy of this server's own verdict is ignored: its monitor's is newer.
        view.set(.degraded, of: Self.keys[1], by: "ns1")
        let own = HealthVector(verdicts: [.online, .online])
        let health = view.combined(
            own: own, ownInstance: "ns1", keys: Self.keys, rule: .majority, ids: [0, 1], into: own)
        #expect(health.verdicts == [.degraded, .online])
        // One of three is not enough.
        view.set(.online, of: Self.keys[0], by: "ns3")
        let recovered = view.combined(
            own: own, ownInstance: "ns1", keys: Self.keys, rule: .majority, ids: [0], into: health)
        #expect(recovered.verdicts == [.online, .online])
    }

    @Test func endpointsNobodyElseProbesKeepTheirOwnVerdict() {
        let own = HealthVector(verdicts: [.degraded, .checkingEndpoint])
        let health = VantageView().combined(
            own: own, ownInstance: "ns1", keys: Self.keys, rule: .all, ids: [0, 1], into: own)
        #expect(health.verdicts == [.degraded, .checkingEndpoint])
    }

    @Test func changedKeysNameEveryDifference() {
        var old = VantageView()
        old.set(.online, of: Self.keys[0], by: "ns2")
        old.set(.online, of: Self.keys[1], by: "ns3")
        var new = old
        new.set(.degraded, of: Self.keys[0], by: "ns2")
        #expect(new.changedKeys(from: old) == [Self.keys[0]])
        new.remove(instance: "ns3")
        #expect(new.changedKeys(from: old) == Set(Self.keys))
        #expect(new.changedKeys(from: new).isEmpty)
    }

    @Test func othersAreSortedByInstance() {
        var view = VantageView()
        for instance in ["ns3", "ns1", "ns2"] { view.set(.online, of: Self.keys[0], by: instance) }
        view.set(.checkingEndpoint, of: Self.keys[0], by: "ns2")
        #expect(view.others(on: Self.keys[0], except: "ns0").map(\.instance) == ["ns1", "ns3"])
    }
}
