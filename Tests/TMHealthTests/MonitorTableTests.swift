import Testing
@testable import TMHealth
import TMRouting

/// Scheduling, sharing and carry-over rules of the monitor, without threads or curl.
struct MonitorTableTests {
    static func profile(_ name: String, firstID: Int, targets: [String], port: Int = 8080, tolerated: Int = 0,
                        interval: Double = 10, enabled: [Bool]? = nil) -> Profile {
        var monitor = MonitorConfig()
        monitor.port = port
        monitor.intervalSeconds = interval
        monitor.timeoutSeconds = interval / 2
        monitor.toleratedFailures = tolerated
        let endpoints = targets.enumerated().map { index, target in
            Endpoint(id: firstID + index, name: "e\(index)", target: EndpointTarget(target)!,
                     isEnabled: enabled?[index] ?? true, priority: index + 1)
        }
        return Profile(name: name, fqdn: DomainName("\(name).tm.example")!, isEnabled: true, method: .priority,
                       ttl: 30, monitor: monitor, endpoints: endpoints)
    }

    static let fail = ProbeResult.failure(.connectionRefused, latency: 0)
    static let ok = ProbeResult.success(detail: "HTTP 200", latency: 0)

    @Test func identicalProbesAreSharedAcrossProfiles() {
        var table = MonitorTable()
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.11", "127.0.0.12"]),
                         Self.profile("b", firstID: 2, targets: ["127.0.0.11"])], now: 0)
        let due = table.takeDue(now: 0, jitter: { 0 })
        #expect(due.count == 2)
        let shared = due.first { $0.target == EndpointTarget("127.0.0.11") }!
        let transitions = table.record(Self.fail, for: shared, now: 1)
        #expect(transitions.map(\.profile).sorted() == ["a", "b"])
        #expect(table.health.probes == [.degraded, .checking, .degraded])
    }

    @Test func firstRoundIsImmediateAndLaterRoundsNeverLate() {
        var table = MonitorTable()
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.11"], interval: 10)], now: 100)
        #expect(table.nextDue == 100)
        let first = table.takeDue(now: 100, jitter: { 0.999 })
        #expect(first.count == 1)
        // In flight: not due again until its result is in.
        #expect(table.takeDue(now: 200, jitter: { 0 }).isEmpty)
        _ = table.record(Self.ok, for: first[0], now: 100.1)
        let next = table.nextDue!
        #expect(next >= 109 && next <= 110)
        #expect(table.takeDue(now: next - 0.01, jitter: { 0 }).isEmpty)
        #expect(table.takeDue(now: next, jitter: { 0 }).count == 1)
    }

    @Test func reloadKeepsStateOfUnchangedEndpointsOnly() {
        var table = MonitorTable()
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.11", "127.0.0.12", "127.0.0.13"])], now: 0)
        for spec in table.takeDue(now: 0, jitter: { 0 }) { _ = table.record(Self.fail, for: spec, now: 1) }
        #expect(table.health.probes == [.degraded, .degraded, .degraded])
        #expect(table.firstRoundComplete)
        // e0 unchanged; e1 gets a new target; e2 is removed; e3 is new.
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.11", "127.0.0.99", "127.0.0.13", "127.0.0.14"],
                                      enabled: [true, true, false, true])], now: 5)
        #expect(table.health.probes == [.degraded, .checking, .checking, .checking])
        #expect(!table.firstRoundComplete)
        let due = Set(table.takeDue(now: 5, jitter: { 0 }).map(\.target.description))
        // The unchanged probe keeps its schedule; new ones are due at once; the disabled one is not probed.
        #expect(due == ["127.0.0.99", "127.0.0.14"])
    }

    @Test func changedMonitorSettingsStartOver() {
        var table = MonitorTable()
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.11"])], now: 0)
        for spec in table.takeDue(now: 0, jitter: { 0 }) { _ = table.record(Self.fail, for: spec, now: 1) }
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.11"], port: 9090)], now: 2)
        #expect(table.health.probes == [.checking])
        // Only the tolerance changed: history kept, rule re-applied from the next result.
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.11"], port: 9090, tolerated: 3)], now: 3)
        for spec in table.takeDue(now: 3, jitter: { 0 }) { _ = table.record(Self.fail, for: spec, now: 4) }
        #expect(table.health.probes == [.checking])
    }

    @Test func resultsForRemovedProbesAreIgnored() {
        var table = MonitorTable()
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.11"])], now: 0)
        let spec = table.takeDue(now: 0, jitter: { 0 })[0]
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.12"])], now: 1)
        #expect(table.record(Self.fail, for: spec, now: 2).isEmpty)
        #expect(table.health.probes == [.checking])
    }
}
