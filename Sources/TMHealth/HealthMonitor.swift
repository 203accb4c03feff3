internal import CCurl
import Foundation
import Logging
import Synchronization
import TMRouting

/// A change of health for the daemon to publish: the vector for configuration `generation`.
public struct HealthUpdate: Sendable {
    public let generation: Int
    public let health: HealthVector
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
    private let onChange: @Sendable (HealthUpdate) -> Void
    private let loop: ProbeLoop

    public init(logger: Logger, onChange: @escaping @Sendable (HealthUpdate) -> Void) {
        self.logger = logger
        self.onChange = onChange
        loop = ProbeLoop()
    }

    /// Starts the probe thread. Call `configure` first so the first round starts at once.
    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "probes"
        thread.start()
    }

    /// Takes a configuration (at start and on reload) and returns its health right away: carried over for
    /// endpoints whose probe did not change, checking for the rest, which are probed at once.
    @discardableResult
    public func configure(_ profiles: [Profile], generation: Int) -> HealthVector {
        let health = shared.withLock { shared in
            shared.table.configure(profiles, now: monotonicNow())
            shared.generation = generation
            return shared.table.health
        }
        loop.wake()
        return health
    }

    /// Whether every probe has reported at least once since it was configured.
    public var firstRoundComplete: Bool { shared.withLock { $0.table.firstRoundComplete } }

    /// The current monitor state of every endpoint, for status output.
    public var states: [MonitorState] { shared.withLock { $0.table.endpoints.map(\.state) } }

    public func stop() {
        shared.withLock { $0.stopping = true }
        loop.wake()
    }

    private func run() {
        var generator = SystemRandomNumberGenerator()
        while true {
            let now = monotonicNow()
            let (due, nextDue, stopping) = shared.withLock { shared in
                (shared.table.takeDue(now: now, jitter: { Double.random(in: 0..<1, using: &generator) }),
                 shared.table.nextDue, shared.stopping)
            }
            if stopping { return }
            for spec in due { loop.add(CurlTransfer(spec: spec)) }
            let waitMS = nextDue.map { max(0, min(1000, Int((($0 - monotonicNow()) * 1000).rounded(.up)))) } ?? 1000
            let finished = loop.poll(timeoutMS: waitMS)
            if !finished.isEmpty { handle(finished) }
        }
    }

    /// Results that finished together are applied together and published once, so that endpoints failing at the
    /// same moment never show a passing in-between answer.
    private func handle(_ results: [(ProbeSpec, ProbeResult)]) {
        let (transitions, update) = shared.withLock { shared in
            let now = monotonicNow()
            let transitions = results.flatMap { shared.table.record($1, for: $0, now: now) }
            return (transitions, transitions.isEmpty ? nil
                : HealthUpdate(generation: shared.generation, health: shared.table.health))
        }
        for transition in transitions {
            logger.notice("endpoint status changed", metadata: [
                "profile": "\(transition.profile)", "endpoint": "\(transition.endpoint)",
                "target": "\(transition.target)", "from": "\(Self.name(transition.old))",
                "to": "\(Self.name(transition.new))", "reason": "\(transition.result)",
            ])
        }
        if let update { onChange(update) }
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
