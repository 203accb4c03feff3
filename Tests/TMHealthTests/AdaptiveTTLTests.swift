import Logging
import TMRouting
import Testing

@testable import TMHealth

/// The adaptive TTL rule end to end without a network: probe results on a stepped schedule go through the monitor's
/// table (Azure's thresholds, the probe schedule) and the route planner, and the answer's TTL is read back.
struct AdaptiveTTLTests {
    typealias M = MonitorTableTests

    static func profile(
        _ name: String = "app", firstID: Int = 0, tolerated: Int, required: Int = 1, interval: Double, ttl: UInt32,
        adaptive: Bool = true
    ) -> Profile {
        let base = M.profile(
            name, firstID: firstID, targets: ["127.0.0.11", "127.0.0.12"], tolerated: tolerated, required: required,
            interval: interval)
        return Profile(
            name: base.name, fqdn: base.fqdn, isEnabled: true, method: .priority, ttl: ttl, adaptiveTTL: adaptive,
            monitor: base.monitor, endpoints: base.endpoints)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        /// toleratedNumberOfFailures, and the primary's failed probes in a row so far.
        let tolerated: Int
        let failures: Int
        let interval: Double
        let profileTTL: UInt32
        let requiredSuccesses: Int
        /// Successes of the Degraded primary so far (failover rows only).
        let successes: Int
        let answer: String
        let ttl: UInt32

        init(
            n: Int, k: Int, interval: Double, ttl profileTTL: UInt32, required: Int = 1, successes: Int = 0,
            failover: Bool = false, expect ttl: UInt32
        ) {
            tolerated = n
            failures = k
            self.interval = interval
            self.profileTTL = profileTTL
            requiredSuccesses = required
            self.successes = successes
            answer = failover ? "127.0.0.12" : "127.0.0.11"
            self.ttl = ttl
        }

        var testDescription: String {
            "N=\(tolerated) k=\(failures) interval=\(interval) TTL=\(profileTTL) R=\(requiredSuccesses) "
                + "s=\(successes) → \(answer) TTL \(ttl)"
        }
    }

    // Probes start every interval exactly (no jitter here) and fail or pass 1 ms later; the TTL is read right
    // after the last result, so the next probe is due in interval - 1 ms and each later one takes 0.9 × interval
    // at the least (jitter shortens intervals by up to 10 %). Rounded up, at least 1 s, at most the profile's TTL.
    @Test(arguments: [
        Row(n: 2, k: 0, interval: 1, ttl: 30, expect: 30),  // healthy: nothing to shorten
        Row(n: 2, k: 1, interval: 1, ttl: 30, expect: 2),  // 0.999 + 0.9
        Row(n: 2, k: 2, interval: 1, ttl: 30, expect: 1),  // the next failure decides
        Row(n: 3, k: 1, interval: 10, ttl: 30, expect: 28),  // 9.999 + 2 × 9
        Row(n: 3, k: 1, interval: 10, ttl: 20, expect: 20),  // never above the profile's TTL
        Row(n: 9, k: 1, interval: 30, ttl: 60, expect: 60),
        Row(n: 2, k: 1, interval: 0.5, ttl: 30, expect: 1),  // 0.949: at least 1 s
        Row(n: 2, k: 3, interval: 1, ttl: 30, failover: true, expect: 1),  // Degraded: back on the next success
        Row(n: 2, k: 3, interval: 10, ttl: 30, failover: true, expect: 10),
        Row(n: 0, k: 1, interval: 10, ttl: 5, failover: true, expect: 5),
        Row(n: 2, k: 3, interval: 10, ttl: 30, required: 3, failover: true, expect: 28),  // 9.999 + 2 × 9
        Row(n: 2, k: 3, interval: 10, ttl: 30, required: 3, successes: 2, failover: true, expect: 10),
        Row(n: 2, k: 3, interval: 1, ttl: 30, required: 3, successes: 1, failover: true, expect: 2),
    ])
    func ttlRule(_ row: Row) throws {
        let profile = Self.profile(
            tolerated: row.tolerated, required: row.requiredSuccesses, interval: row.interval, ttl: row.profileTTL)
        var table = MonitorTable()
        table.configure([profile], now: 0)
        let primary = ProbeSpec(profile: profile, endpoint: profile.endpoints[0])
        // Round 0 passes for both; then the primary fails k times and passes `successes` times.
        let results =
            [true] + Array(repeating: false, count: row.failures) + Array(repeating: true, count: row.successes)
        var now = 0.0
        for (round, passes) in results.enumerated() {
            now = Double(round) * row.interval
            for spec in table.takeDue(now: now, jitter: { 0 }) {
                let ok = spec != primary || passes
                _ = table.record(ok ? M.ok : M.fail, for: spec, now: now + 0.001)
            }
        }
        let routing = RoutingTable(profiles: ProfileSet([profile]), health: table.health(now: now + 0.001))
        let answer = try #require(routing[profile: 0].answer)
        #expect(answer.a.map(\.description) == [row.answer])
        #expect(answer.rrsets(profileTTL: row.profileTTL).map(\.ttl) == [row.ttl])
    }

    /// Progress without a status change is reported for the endpoints adaptive answers depend on (the profile's
    /// own, and those of the children it nests), and for no other: a profile without it costs no republishing.
    @Test func onlyAdaptiveAnswersHearOfProgress() {
        let plain = Self.profile("plain", firstID: 0, tolerated: 2, interval: 1, ttl: 30, adaptive: false)
        let adaptive = Self.profile("app", firstID: 2, tolerated: 2, interval: 1, ttl: 30)
        let child = Self.profile("child", firstID: 4, tolerated: 2, interval: 1, ttl: 30, adaptive: false)
        let parent = Profile(
            name: "parent", fqdn: DomainName("parent.tm.example.")!, isEnabled: true, method: .priority, ttl: 30,
            adaptiveTTL: true, monitor: child.monitor,
            endpoints: [
                Endpoint(
                    id: 6, name: "nested", target: .name(child.fqdn), isEnabled: true, priority: 1,
                    nested: NestedTarget(profile: "child"))
            ])
        var table = MonitorTable()
        table.configure([plain, adaptive, child, parent], now: 0)
        var progressed: [[Int]] = []
        var degraded: [[Int]] = []
        // The same two probes (127.0.0.11 fails, .12 passes) serve all three profiles.
        for round in 0..<3 {
            let now = Double(round)
            var recorded = MonitorTable.Recorded()
            for spec in table.takeDue(now: now, jitter: { 0 }) {
                let result = spec.target.description == "127.0.0.11" ? M.fail : M.ok
                recorded.append(table.record(result, for: spec, now: now))
            }
            progressed.append(recorded.progressed.sorted())
            degraded.append(recorded.transitions.filter { $0.new == .degraded }.map(\.id).sorted())
        }
        // Rounds 0 and 1 move the failing endpoints of `app` and `child` (1 and 2 failures) without a status
        // change; round 2 degrades all three, a status change for every profile.
        #expect(progressed == [[2, 4], [2, 4], []])
        #expect(degraded == [[], [], [0, 2, 4]])
        let health = table.health(now: 2.5)
        #expect(health.verdictMayChangeIn.keys.sorted() == [2, 4], "only adaptive answers' endpoints")
        #expect(health.verdictMayChangeIn[2].map { abs($0 - 0.5) < 1e-9 } == true, "Online again on the next probe")

        var quiet = MonitorTable()
        quiet.configure([plain], now: 0)
        for round in 0..<2 {
            for spec in quiet.takeDue(now: Double(round), jitter: { 0 }) {
                #expect(quiet.record(M.fail, for: spec, now: Double(round)).progressed.isEmpty)
            }
        }
        #expect(quiet.health(now: 2).verdictMayChangeIn.isEmpty)
    }

    /// A success after failures is progress too: the answer goes back to the profile's TTL.
    @Test func aSuccessAfterFailuresIsReported() {
        let profile = Self.profile(tolerated: 2, interval: 1, ttl: 30)
        var table = MonitorTable()
        table.configure([profile], now: 0)
        let primary = ProbeSpec(profile: profile, endpoint: profile.endpoints[0])
        var reports: [[Int]] = []
        for (round, passes) in [true, false, true, true].enumerated() {
            for spec in table.takeDue(now: Double(round), jitter: { 0 }) where spec == primary {
                reports.append(table.record(passes ? M.ok : M.fail, for: spec, now: Double(round)).progressed)
            }
        }
        #expect(reports == [[], [0], [0], []])
        #expect(table.health(now: 4).verdictMayChangeIn.isEmpty)
    }

    /// The monitor hands the publisher a report for a failure that changes no status only when an adaptive answer
    /// depends on the endpoint, with the time until its verdict could change.
    @Test(arguments: [true, false])
    func theMonitorReportsProgress(adaptive: Bool) throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let monitor = try HealthMonitor(
            logger: logger, clock: ManualClock(monotonic: 100, wall: HealthMonitorTests.wall))
        let profile = Self.profile(tolerated: 2, interval: 1, ttl: 30, adaptive: adaptive)
        monitor.configure([profile], generation: 1)
        let report = monitor.record([(ProbeSpec(profile: profile, endpoint: profile.endpoints[0]), M.fail)])
        if adaptive {
            #expect(report?.changed == [0])
            #expect(report?.health.verdicts == [.checkingEndpoint, .checkingEndpoint])
            // Due again at once (never probed by a schedule here), then one more failure: 0.9 × 1 s.
            #expect(report?.health.verdictMayChangeIn == [0: 0.9])
        } else {
            #expect(report == nil)
        }
    }
}
