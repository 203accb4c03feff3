import Foundation
import Logging
import Synchronization
import TMRouting
import Testing

@testable import TMHealth

/// A clock that moves only when told to.
final class ManualClock: MonitorClock {
    private let times: Mutex<(monotonic: Double, wall: Date)>

    init(monotonic: Double, wall: Date) { times = Mutex((monotonic, wall)) }

    func monotonicNow() -> Double { times.withLock { $0.monotonic } }
    func wallNow() -> Date { times.withLock { $0.wall } }

    func advance(by seconds: Double) {
        times.withLock { $0 = ($0.monotonic + seconds, $0.wall.addingTimeInterval(seconds)) }
    }
}

/// The monitor's bookkeeping with a stepped clock: restored health, reports and saved health carry the times the
/// clock says, without sleeping and without probing.
struct HealthMonitorTests {
    static let wall = Date(timeIntervalSince1970: 1_800_000_000)

    static func profile(requiredSuccesses: Int = 1) -> Profile {
        var monitor = MonitorConfig()
        monitor.port = 9
        monitor.toleratedFailures = 0
        monitor.requiredSuccesses = requiredSuccesses
        return Profile(
            name: "app", fqdn: DomainName("app.tm.example.")!, isEnabled: true, method: .priority, ttl: 30,
            monitor: monitor,
            endpoints: [
                Endpoint(
                    id: 0, name: "mec", target: EndpointTarget("127.0.0.11")!, isEnabled: true,
                    priority: 1),
                Endpoint(
                    id: 1, name: "region", target: EndpointTarget("127.0.0.12")!, isEnabled: true,
                    priority: 2),
            ])
    }

    @Test func restoredRecordedAndSavedFollowTheClock() throws {
        let clock = ManualClock(monotonic: 1000, wall: Self.wall)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let monitor = try HealthMonitor(logger: logger, clock: clock)
        let profile = Self.profile()
        let mec = ProbeSpec(profile: profile, endpoint: profile.endpoints[0])
        let saved = SavedHealth(
            profile: "app", endpoint: "mec",
            fingerprint: MonitorTable.fingerprint(mec, tolerated: 0, required: 1), status: .degraded,
            consecutiveFailures: 4, since: Self.wall.addingTimeInterval(-100))
        let health = monitor.configure([profile], generation: 3, restoring: [saved])
        #expect(health.verdicts == [.degraded, .checkingEndpoint])
        #expect(monitor.endpoints.map(\.since) == [Self.wall.addingTimeInterval(-100), nil])
        #expect(monitor.endpoints[0].consecutiveFailures == 4)

        clock.advance(by: 30)
        let report = try #require(monitor.record([(mec, .success(detail: "HTTP 200", latency: 0.001))]))
        #expect(report.generation == 3 && report.changed == [0])
        #expect(report.health.verdicts == [.online, .checkingEndpoint])
        #expect(monitor.endpoints[0].since == Self.wall.addingTimeInterval(30))
        // A result that changes nothing reports nothing.
        clock.advance(by: 5)
        #expect(monitor.record([(mec, .success(detail: "HTTP 200", latency: 0.001))]) == nil)

        let written = monitor.savedHealth()
        #expect(written.map(\.endpoint) == ["mec", "region"])
        #expect(written.map(\.status) == [.online, .checkingEndpoint])
        #expect(written.map(\.since) == [Self.wall.addingTimeInterval(30), Self.wall])
    }

    @Test func savedHealthOfAnotherProbeIsNotRestored() throws {
        let clock = ManualClock(monotonic: 5, wall: Self.wall)
        let monitor = try HealthMonitor(logger: Logger(label: "test"), clock: clock)
        let saved = SavedHealth(
            profile: "app", endpoint: "mec", fingerprint: "another probe", status: .degraded,
            consecutiveFailures: 1, since: Self.wall)
        #expect(
            monitor.configure([Self.profile()], generation: 0, restoring: [saved]).verdicts
                == [.checkingEndpoint, .checkingEndpoint])
    }

    @Test func successesTowardsRecoveryAreSavedAndRestored() throws {
        let clock = ManualClock(monotonic: 5, wall: Self.wall)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let monitor = try HealthMonitor(logger: logger, clock: clock)
        let profile = Self.profile(requiredSuccesses: 3)
        let mec = ProbeSpec(profile: profile, endpoint: profile.endpoints[0])
        let saved = SavedHealth(
            profile: "app", endpoint: "mec", fingerprint: MonitorTable.fingerprint(mec, tolerated: 0, required: 3),
            status: .degraded, consecutiveFailures: 0, consecutiveSuccesses: 1, since: Self.wall)
        #expect(monitor.configure([profile], generation: 0, restoring: [saved]).verdicts[0] == .degraded)
        #expect(monitor.record([(mec, .success(detail: "HTTP 200", latency: 0))]) == nil)
        #expect(monitor.endpoints[0].consecutiveSuccesses == 2 && monitor.endpoints[0].requiredSuccesses == 3)
        #expect(monitor.savedHealth().first?.consecutiveSuccesses == 2)
        // The third success in a row, one of them from the earlier run, brings it back.
        #expect(monitor.record([(mec, .success(detail: "HTTP 200", latency: 0))])?.health.verdicts[0] == .online)
    }

    @Test func savedHealthUnderAnotherRequiredSuccessesIsNotRestored() throws {
        let monitor = try HealthMonitor(
            logger: Logger(label: "test"), clock: ManualClock(monotonic: 5, wall: Self.wall))
        let profile = Self.profile(requiredSuccesses: 3)
        let mec = ProbeSpec(profile: profile, endpoint: profile.endpoints[0])
        let saved = SavedHealth(
            profile: "app", endpoint: "mec", fingerprint: MonitorTable.fingerprint(mec, tolerated: 0, required: 1),
            status: .degraded, consecutiveFailures: 1, since: Self.wall)
        #expect(monitor.configure([profile], generation: 0, restoring: [saved]).verdicts[0] == .checkingEndpoint)
    }

    /// A state file written before requiredSuccesses existed: its fingerprints and entries still restore.
    @Test func stateWrittenBeforeRequiredSuccessesStillRestores() throws {
        let profile = Self.profile()
        let mec = ProbeSpec(profile: profile, endpoint: profile.endpoints[0])
        #expect(
            MonitorTable.fingerprint(mec, tolerated: 0, required: 1)
                == "HTTP|http://127.0.0.11:9/||200-200|30.0|10.0|false|0")
        let old = Data(
            #"""
            {"profile": "app", "endpoint": "mec", "fingerprint": "f", "status": "Degraded",
             "consecutiveFailures": 2, "since": "2027-01-15T08:00:00Z"}
            """#.utf8)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let saved = try decoder.decode(SavedHealth.self, from: old)
        #expect(saved.consecutiveFailures == 2 && saved.consecutiveSuccesses == 0 && saved.status == .degraded)
        #expect(saved.since == Self.wall)
    }
}
