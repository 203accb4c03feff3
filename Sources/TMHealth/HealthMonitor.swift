internal import CCurl
import Foundation
import Logging
import Synchronization
import TMRouting

/// A change of health for the daemon to publish: the vector for configuration `generation`, and what to save.
public struct HealthUpdate: Sendable {
    public let generation: Int
    public let health: HealthVector
    public let saved: [SavedEndpointHealth]
}

/// One endpoint's health as written to the state file, so a restart does not start from nothing.
public struct SavedEndpointHealth: Codable, Sendable, Hashable {
    public let profile: String
    public let endpoint: String
    /// Target and monitor settings; a saved status is restored only for an identical probe.
    public let fingerprint: String
    public let status: String
    public let consecutiveFailures: Int
    public let since: Date
}

/// One endpoint's monitor state as status reports show it.
public struct EndpointMonitorView: Sendable {
    public let health: ProbeHealth
    public let consecutiveFailures: Int
    public let lastResult: ProbeResult?
    public let since: Date
}

/// Probes every monitored endpoint from one thread driving libcurl's multi interface, applies Azure's monitor
/// rules, logs each status change once, and reports new health vectors. Never touches DNS answering.
public final class HealthMonitor: Sendable {
    private struct Shared {
        var table = MonitorTable()
        var generation = 0
        var stopping = false
    }

    private let shared = Mutex(Shared())
    private let logger: Logger
    private let loop: ProbeLoop

    public init(logger: Logger) {
        self.logger = logger
        loop = ProbeLoop()
    }

    /// Starts the probe thread; `onChange` is called from it after every batch of results that changed health.
    /// Call `configure` first so the first round starts at once.
    public func start(onChange: @escaping @Sendable (HealthUpdate) -> Void) {
        Thread { [self] in run(onChange: onChange) }.start()
    }

    /// Probes in flight at most: a file descriptor each, so thousands due at once wait their turn instead of
    /// failing for want of descriptors (which would count against healthy endpoints).
    static let maxInFlight = 512

    /// Takes a configuration (at start and on reload) and returns its health right away: carried over for
    /// endpoints whose probe did not change, restored from `restoring` (an earlier run's state file) when the
    /// probe is identical there, checking for the rest. Every probe not carried over is due at once.
    @discardableResult
    public func configure(_ profiles: [Profile], generation: Int, restoring: [SavedEndpointHealth] = []) -> HealthVector {
        let now = monotonicNow(), wallNow = Date()
        var saved: [String: MonitorTable.SavedHealth] = [:]
        for entry in restoring {
            guard let health = Self.health(named: entry.status) else { continue }
            saved[MonitorTable.key(entry.profile, entry.endpoint)] = MonitorTable.SavedHealth(
                fingerprint: entry.fingerprint, health: health, consecutiveFailures: entry.consecutiveFailures,
                since: now - wallNow.timeIntervalSince(entry.since))
        }
        let health = shared.withLock { shared in
            shared.table.configure(profiles, now: now, restoring: saved)
            shared.generation = generation
            return shared.table.health
        }
        loop.wake()
        return health
    }

    /// Whether every probe has reported at least once since it was configured.
    public var firstRoundComplete: Bool { shared.withLock { $0.table.firstRoundComplete } }

    /// Waits (polling) until the first round is complete or `seconds` pass; returns whether it completed.
    public func waitForFirstRound(within seconds: Double) -> Bool {
        let deadline = monotonicNow() + seconds
        while !firstRoundComplete {
            if monotonicNow() >= deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// The current monitor state of every endpoint, by id.
    public var states: [MonitorState] { shared.withLock { $0.table.endpoints.map(\.state) } }

    /// Monitor state with wall-clock times, by endpoint id, for status reports.
    public var views: [EndpointMonitorView] {
        let now = monotonicNow(), wallNow = Date()
        return shared.withLock { shared in
            shared.table.endpoints.map {
                EndpointMonitorView(health: $0.state.health, consecutiveFailures: $0.state.consecutiveFailures,
                                    lastResult: $0.state.lastResult,
                                    since: wallNow.addingTimeInterval($0.since - now))
            }
        }
    }

    private static func saved(_ table: MonitorTable, now: Double, wallNow: Date) -> [SavedEndpointHealth] {
        table.saved.map {
            SavedEndpointHealth(profile: $0.profile, endpoint: $0.endpoint, fingerprint: $0.saved.fingerprint,
                                status: name($0.saved.health), consecutiveFailures: $0.saved.consecutiveFailures,
                                since: wallNow.addingTimeInterval($0.saved.since - now))
        }
    }

    static func health(named name: String) -> ProbeHealth? {
        [ProbeHealth.checking, .online, .degraded].first { Self.name($0) == name }
    }

    public func stop() {
        shared.withLock { $0.stopping = true }
        loop.wake()
    }

    /// The probe loop itself, for callers that start (and name) the thread themselves; returns after `stop()`.
    public func run(onChange: @Sendable (HealthUpdate) -> Void) {
        var generator = SystemRandomNumberGenerator()
        while true {
            let now = monotonicNow()
            let (due, nextDue, stopping) = shared.withLock { shared in
                (shared.table.takeDue(now: now, limit: Self.maxInFlight - loop.inFlight,
                                      jitter: { Double.random(in: 0..<1, using: &generator) }),
                 shared.table.nextDue, shared.stopping)
            }
            if stopping { return }
            for spec in due { loop.add(CurlTransfer(spec: spec)) }
            let waitMS = nextDue.map { max(0, min(1000, Int((($0 - monotonicNow()) * 1000).rounded(.up)))) } ?? 1000
            let finished = loop.poll(timeoutMS: waitMS)
            if !finished.isEmpty, let update = handle(finished) { onChange(update) }
        }
    }

    /// Results that finished together are applied together and published once, so that endpoints failing at the
    /// same moment never show a passing in-between answer.
    private func handle(_ results: [(ProbeSpec, ProbeResult)]) -> HealthUpdate? {
        let (transitions, update) = shared.withLock { shared in
            let now = monotonicNow()
            let transitions = results.flatMap { shared.table.record($1, for: $0, now: now) }
            return (transitions, transitions.isEmpty ? nil
                : HealthUpdate(generation: shared.generation, health: shared.table.health,
                               saved: Self.saved(shared.table, now: now, wallNow: Date())))
        }
        for transition in transitions {
            logger.notice("endpoint status changed", metadata: [
                "profile": "\(transition.profile)", "endpoint": "\(transition.endpoint)",
                "target": "\(transition.target)", "from": "\(Self.name(transition.old))",
                "to": "\(Self.name(transition.new))", "reason": "\(transition.result)",
            ])
        }
        return update
    }

    static func name(_ health: ProbeHealth) -> String {
        switch health {
        case .checking: MonitorStatus.checkingEndpoint.rawValue
        case .online: MonitorStatus.online.rawValue
        case .degraded: MonitorStatus.degraded.rawValue
        }
    }
}

/// Monotonic seconds: probe schedules must not jump with the wall clock.
func monotonicNow() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
