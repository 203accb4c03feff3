import Foundation
import Logging
import Synchronization
import TMRouting

/// Probes every monitored endpoint from one thread driving libcurl's multi interface, applies Azure's monitor
/// rules, logs each status change once, and reports changed health to the publisher. Never encodes an answer and
/// never touches the disk: it only hands over reports.
public final class HealthMonitor: Sendable {
    private struct Shared {
        var table = MonitorTable()
        var generation = 0
        var stopping = false
    }

    private let shared = Mutex(Shared())
    private let logger: Logger
    private let clock: any MonitorClock
    private let loop: ProbeLoop

    /// Throws when curl's multi handle or the event loop cannot be set up.
    public init(logger: Logger, clock: any MonitorClock = SystemClock()) throws {
        self.logger = logger
        self.clock = clock
        loop = try ProbeLoop()
    }

    /// Probes in flight at most: a file descriptor each, so thousands due at once wait their turn instead of
    /// failing for want of descriptors (which would count against healthy endpoints).
    static let maxInFlight = 512

    /// Takes a configuration (at start and on reload) and returns its health right away: carried over for
    /// endpoints whose probe did not change, restored from `restoring` (an earlier run's state file) when the
    /// probe is identical there, checking for the rest. Every probe not carried over is due at once. Probes leave
    /// from `sourceAddresses` (at most one of each family); a probe whose source changed starts over.
    @discardableResult
    public func configure(
        _ profiles: [Profile], generation: Int, restoring: [SavedHealth] = [], sourceAddresses: [IPAddress] = []
    ) -> HealthVector {
        let clock = clock
        let health = shared.withLock { shared in
            let now = clock.monotonicNow()
            shared.table.configure(
                profiles, now: now, restoring: restoring, sourceAddresses: sourceAddresses,
                monotonicSince: { clock.monotonicTime(ofWall: $0) })
            shared.generation = generation
            return shared.table.health(now: now)
        }
        loop.wake()
        return health
    }

    /// Whether every probe has reported at least once since it was configured.
    public var firstRoundComplete: Bool { shared.withLock { $0.table.firstRoundComplete } }

    /// Waits (polling) until the first round is complete or `seconds` pass; returns whether it completed.
    public func waitForFirstRound(within seconds: Double) -> Bool {
        let deadline = clock.monotonicNow() + seconds
        while !firstRoundComplete {
            if clock.monotonicNow() >= deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// Every endpoint's monitor history, by endpoint id, with wall-clock times.
    public var endpoints: [EndpointHealth] {
        shared.withLock { shared in shared.table.endpoints.map(history) }
    }

    /// One endpoint's monitor history, by endpoint id: for a status report, which needs a profile's endpoints only.
    public func endpoint(_ id: Int) -> EndpointHealth? {
        shared.withLock { shared in
            id >= 0 && id < shared.table.endpoints.count ? history(shared.table.endpoints[id]) : nil
        }
    }

    /// Probe counts of every endpoint probed so far, by endpoint id (for metrics).
    public func probeTallies() -> [Int: ProbeTally] { shared.withLock { $0.table.tallies } }

    /// An entry as status shows it: `since` in wall-clock time, and only once anything is known.
    private func history(_ entry: MonitorTable.Entry) -> EndpointHealth {
        EndpointHealth(
            verdict: entry.state.verdict, consecutiveFailures: entry.state.consecutiveFailures,
            consecutiveSuccesses: entry.state.consecutiveSuccesses, requiredSuccesses: entry.state.requiredSuccesses,
            lastResult: entry.state.lastResult, since: entry.isKnown ? clock.wallTime(ofMonotonic: entry.since) : nil)
    }

    /// What the state file keeps: every probed endpoint's verdict. Read by the publisher, never on the probe thread.
    public func savedHealth() -> [SavedHealth] {
        let clock = clock
        return shared.withLock { $0.table.saved(wallTime: { clock.wallTime(ofMonotonic: $0) }) }
    }

    /// The verdict of each probed endpoint in `ids` (nil: every one) that has one (Online or Degraded), by name:
    /// what a server of a fleet publishes as its vantage point's view. Read by the fleet's writer thread, never on
    /// the probe thread; after a probe result only the endpoints it changed are asked for.
    public func vantageVerdicts(ids: [Int]? = nil) -> [EndpointKey: VantageVerdict] {
        let clock = clock
        return shared.withLock { shared in
            let endpoints = shared.table.endpoints
            var verdicts: [EndpointKey: VantageVerdict] = [:]
            func add(_ entry: MonitorTable.Entry) {
                guard entry.spec != nil, entry.state.verdict != .checkingEndpoint else { return }
                verdicts[EndpointKey(profile: entry.profile, endpoint: entry.endpoint)] = VantageVerdict(
                    status: entry.state.verdict, result: entry.state.lastResult?.description,
                    since: clock.wallTime(ofMonotonic: entry.since))
            }
            if let ids {
                for id in ids where id >= 0 && id < endpoints.count { add(endpoints[id]) }
            } else {
                endpoints.forEach(add)
            }
            return verdicts
        }
    }

    public func stop() {
        shared.withLock { $0.stopping = true }
        loop.wake()
    }

    /// The probe loop; run it on a thread of its own. Returns after `stop()`. `report` gets every batch of
    /// results that changed a verdict (or moved an adaptive-TTL answer's endpoint towards one) and must not block
    /// (the publisher queues it).
    public func run(report: (HealthReport) -> Void) {
        var generator = SystemRandomNumberGenerator()
        while true {
            let now = clock.monotonicNow()
            let (due, nextDue, stopping) = shared.withLock { shared in
                (
                    shared.table.takeDue(
                        now: now, limit: Self.maxInFlight - loop.inFlight,
                        jitter: { Double.random(in: 0..<1, using: &generator) }),
                    shared.table.nextDue, shared.stopping
                )
            }
            if stopping { return }
            for spec in due { loop.start(spec) }
            let waitMS =
                nextDue.map { max(0, min(1000, Int((($0 - clock.monotonicNow()) * 1000).rounded(.up)))) }
                ?? 1000
            let finished = loop.poll(timeoutMS: waitMS)
            if !finished.isEmpty, let changes = record(finished) { report(changes) }
        }
    }

    /// Results that finished together are applied together and reported once, so that endpoints failing at the
    /// same moment never show a passing in-between answer. Returns nil when nothing routing reads changed.
    func record(_ results: [(ProbeSpec, ProbeResult)]) -> HealthReport? {
        let now = clock.monotonicNow()
        let (transitions, report) = shared.withLock { shared in
            var recorded = MonitorTable.Recorded()
            for (spec, result) in results { recorded.append(shared.table.record(result, for: spec, now: now)) }
            let changed = recorded.transitions.map(\.id) + recorded.progressed
            return (
                recorded.transitions,
                changed.isEmpty
                    ? nil
                    : HealthReport(
                        generation: shared.generation, health: shared.table.health(now: now), changed: changed)
            )
        }
        for transition in transitions {
            logger.notice(
                "endpoint status changed",
                metadata: [
                    "profile": "\(transition.profile)", "endpoint": "\(transition.endpoint)",
                    "target": "\(transition.target)", "from": "\(transition.old.rawValue)",
                    "to": "\(transition.new.rawValue)", "reason": "\(transition.result)",
                ])
        }
        return report
    }
}
