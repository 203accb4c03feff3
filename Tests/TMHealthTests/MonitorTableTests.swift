import TMRouting
import Testing

@testable import TMHealth

/// Scheduling, sharing and carry-over rules of the monitor, without threads or curl.
struct MonitorTableTests {
    static func profile(
        _ name: String, firstID: Int, targets: [String], port: Int = 8080, tolerated: Int = 0,
        required: Int = 1, interval: Double = 10, enabled: [Bool]? = nil, expectedBody: String? = nil
    ) -> Profile {
        var monitor = MonitorConfig()
        monitor.port = port
        monitor.intervalSeconds = interval
        monitor.timeoutSeconds = interval / 2
        monitor.toleratedFailures = tolerated
        monitor.requiredSuccesses = required
        monitor.expectedBody = expectedBody
        let endpoints = targets.enumerated().map { index, target in
            Endpoint(
                id: firstID + index, name: "e\(index)", target: EndpointTarget(target)!,
                isEnabled: enabled?[index] ?? true, priority: index + 1)
        }
        return Profile(
            name: name, fqdn: DomainName("\(name).tm.example")!, isEnabled: true, method: .priority,
            ttl: 30, monitor: monitor, endpoints: endpoints)
    }

    static let fail = ProbeResult.failure(.connectionRefused, latency: 0)
    static let ok = ProbeResult.success(detail: "HTTP 200", latency: 0)

    @Test func identicalProbesAreSharedAcrossProfiles() {
        var table = MonitorTable()
        table.configure(
            [
                Self.profile("a", firstID: 0, targets: ["127.0.0.11", "127.0.0.12"]),
                Self.profile("b", firstID: 2, targets: ["127.0.0.11"]),
            ], now: 0)
        let due = table.takeDue(now: 0, jitter: { 0 })
        #expect(due.count == 2)
        let shared = due.first { $0.target == EndpointTarget("127.0.0.11") }!
        let transitions = table.record(Self.fail, for: shared, now: 1).transitions
        #expect(transitions.map(\.profile).sorted() == ["a", "b"])
        #expect(table.health(now: 0).verdicts == [.degraded, .checkingEndpoint, .degraded])
    }

    @Test func aBodyCheckIsAProbeOfItsOwn() {
        let checked = Self.profile("b", firstID: 1, targets: ["127.0.0.11"], expectedBody: "ok")
        var table = MonitorTable()
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.11"]), checked], now: 0)
        let due = table.takeDue(now: 0, jitter: { 0 })
        #expect(due.map(\.expectedBody).sorted { ($0 ?? "") < ($1 ?? "") } == [nil, "ok"])
        // A saved status is not taken for a probe that checks another body.
        let plain = due.first { $0.expectedBody == nil }!
        let body = due.first { $0.expectedBody != nil }!
        #expect(
            MonitorTable.fingerprint(plain, tolerated: 0, required: 1)
                != MonitorTable.fingerprint(body, tolerated: 0, required: 1))
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
        #expect(table.health(now: 0).verdicts == [.degraded, .degraded, .degraded])
        #expect(table.firstRoundComplete)
        // e0 unchanged; e1 gets a new target; e2 is removed; e3 is new.
        table.configure(
            [
                Self.profile(
                    "a", firstID: 0, targets: ["127.0.0.11", "127.0.0.99", "127.0.0.13", "127.0.0.14"],
                    enabled: [true, true, false, true])
            ], now: 5)
        #expect(table.health(now: 0).verdicts == [.degraded, .checkingEndpoint, .checkingEndpoint, .checkingEndpoint])
        #expect(!table.firstRoundComplete)
        let due = Set(table.takeDue(now: 5, jitter: { 0 }).map(\.target.description))
        // The unchanged probe keeps its schedule; new ones are due at once; the disabled one is not probed.
        #expect(due == ["127.0.0.99", "127.0.0.14"])
    }

    /// A profile added in front moves every later endpoint to another id: they are found by name and keep their
    /// history; endpoints that stayed where they were are found by id.
    @Test func endpointsThatMovedKeepTheirState() {
        var table = MonitorTable()
        table.configure([Self.profile("b", firstID: 0, targets: ["127.0.0.21", "127.0.0.22"])], now: 0)
        for spec in table.takeDue(now: 0, jitter: { 0 }) { _ = table.record(Self.fail, for: spec, now: 1) }
        #expect(table.health(now: 0).verdicts == [.degraded, .degraded])
        table.configure(
            [
                Self.profile("a", firstID: 0, targets: ["127.0.0.11"]),
                Self.profile("b", firstID: 1, targets: ["127.0.0.21", "127.0.0.22"]),
            ], now: 5)
        #expect(table.health(now: 5).verdicts == [.checkingEndpoint, .degraded, .degraded])
        // And back: the same ids again, found without the table by name.
        table.configure([Self.profile("b", firstID: 0, targets: ["127.0.0.21", "127.0.0.22"])], now: 6)
        #expect(table.health(now: 6).verdicts == [.degraded, .degraded])
    }

    @Test func changedMonitorSettingsStartOver() {
        var table = MonitorTable()
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.11"])], now: 0)
        for spec in table.takeDue(now: 0, jitter: { 0 }) { _ = table.record(Self.fail, for: spec, now: 1) }
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.11"], port: 9090)], now: 2)
        #expect(table.health(now: 0).verdicts == [.checkingEndpoint])
        // Only the tolerance changed: history kept, rule re-applied from the next result.
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.11"], port: 9090, tolerated: 3)], now: 3)
        for spec in table.takeDue(now: 3, jitter: { 0 }) { _ = table.record(Self.fail, for: spec, now: 4) }
        #expect(table.health(now: 0).verdicts == [.checkingEndpoint])
    }

    @Test func reloadWithAnotherRequiredSuccessesKeepsTheHistory() {
        var table = MonitorTable()
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.11"])], now: 0)
        var spec = table.takeDue(now: 0, jitter: { 0 })[0]
        _ = table.record(Self.fail, for: spec, now: 1)
        _ = table.record(Self.ok, for: spec, now: 2)
        _ = table.record(Self.fail, for: spec, now: 3)
        #expect(table.health(now: 0).verdicts == [.degraded])
        // The probe itself is unchanged, so it keeps its state; the way back now takes three successes.
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.11"], required: 3)], now: 4)
        #expect(table.health(now: 0).verdicts == [.degraded])
        spec = table.takeDue(now: 20, jitter: { 0 })[0]
        #expect(table.record(Self.ok, for: spec, now: 21).transitions.isEmpty)
        #expect(table.record(Self.ok, for: spec, now: 22).transitions.isEmpty)
        #expect(table.record(Self.ok, for: spec, now: 23).transitions.map(\.new) == [.online])
    }

    @Test func resultsForRemovedProbesAreIgnored() {
        var table = MonitorTable()
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.11"])], now: 0)
        let spec = table.takeDue(now: 0, jitter: { 0 })[0]
        table.configure([Self.profile("a", firstID: 0, targets: ["127.0.0.12"])], now: 1)
        #expect(table.record(Self.fail, for: spec, now: 2).transitions.isEmpty)
        #expect(table.health(now: 0).verdicts == [.checkingEndpoint])
    }

    /// 2,000 probes with jittered starts: each turn hands out exactly the due ones, earliest first, within the
    /// in-flight limit; a probe in flight is never handed out again; after its result it is due one interval on.
    @Test func manyProbesComeDueInOrderWithinTheLimit() {
        var table = MonitorTable()
        let targets = (0..<200).map { "127.0.\($0 / 250).\($0 % 250 + 1)" }
        table.configure(
            (0..<10).map { Self.profile("p\($0)", firstID: $0 * 200, targets: targets, port: 8000 + $0) },
            now: 0)
        var generator = SystemRandomNumberGenerator()
        var first = table.takeDue(now: 0, limit: 512, jitter: { Double.random(in: 0..<1, using: &generator) })
        #expect(first.count == 512)
        while first.count < 2_000 {
            let more = table.takeDue(now: 0, limit: 512, jitter: { 0.5 })
            #expect(!more.isEmpty)
            first += more
        }
        #expect(Set(first).count == 2_000)
        #expect(table.takeDue(now: 1_000, jitter: { 0 }).isEmpty, "every probe is in flight")
        #expect(table.nextDue == nil)
        // Results come back; starts were 0, so the next ones fall between 9 (most jitter) and 10 s.
        for spec in first { _ = table.record(Self.ok, for: spec, now: 0.5) }
        let earliest = table.nextDue!
        #expect(earliest >= 9 && earliest <= 10)
        #expect(table.takeDue(now: earliest - 0.001, jitter: { 0 }).isEmpty)
        var taken = 0
        var now = earliest
        while taken < 2_000 {
            let starts = table.schedules.mapValues(\.nextDue)
            let due = table.takeDue(now: now, limit: 100, jitter: { 0 })
            // Only due probes come out, and none that is due is left behind unless the limit was reached.
            #expect(due.allSatisfy { starts[$0]! <= now })
            let left = table.schedules.filter { !$0.value.inFlight && $0.value.nextDue <= now }
            #expect(due.count == 100 || left.isEmpty)
            if due.count == 100, let latestTaken = due.map({ starts[$0]! }).max() {
                #expect(left.values.allSatisfy { $0.nextDue >= latestTaken }, "earliest first")
            }
            taken += due.count
            now += 0.01
        }
        #expect(now <= 10.02)
    }

    @Test func dueQueueOrdersByStart() {
        var queue = DueQueue()
        let spec = { (port: Int) in
            ProbeSpec(
                profile: Self.profile("q", firstID: 0, targets: ["127.0.0.1"], port: port),
                endpoint: Self.profile("q", firstID: 0, targets: ["127.0.0.1"], port: port).endpoints[0])
        }
        var generator = SystemRandomNumberGenerator()
        let starts = (0..<500).map { _ in Double.random(in: 0..<100, using: &generator) }
        for (index, start) in starts.enumerated() { queue.push(spec(10_000 + index), due: start) }
        #expect(queue.popDue(now: starts.min()! - 1) == nil)
        var popped: [Double] = []
        while let next = queue.earliest, let item = queue.popDue(now: 100) {
            popped.append(next)
            #expect(item.url.contains(":\(10_000 + starts.firstIndex(of: next)!)/"))
        }
        #expect(popped == starts.sorted())
        #expect(queue.isEmpty)
    }
}
