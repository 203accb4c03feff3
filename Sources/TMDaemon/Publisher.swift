import Logging
import Synchronization
import TMConfig
import TMHealth
import TMRouting

/// The single writer of snapshots. Configuration changes (start, reload) and health changes both come through
/// here, one at a time, so a snapshot always pairs a configuration with health computed for it.
final class Publisher: Sendable {
    private struct State {
        var builder: SnapshotBuilder
        var generation = 0
    }

    let store: SnapshotStore
    private let state: Mutex<State>
    private let logger: Logger

    init(configuration: Configuration, health: HealthVector, builder: SnapshotBuilder, logger: Logger) {
        var builder = builder
        store = SnapshotStore(builder.build(configuration, health: health))
        state = Mutex(State(builder: builder))
        self.logger = logger
    }

    /// A reload: `configureHealth` (the monitor's `configure`) runs under the lock, so that no health update for
    /// the new generation can be published before the configuration it belongs to.
    func replace(_ configuration: Configuration, configureHealth: (Int) -> HealthVector) {
        state.withLock { state in
            state.generation += 1
            let health = configureHealth(state.generation)
            publish(configuration, health: health, builder: &state.builder)
        }
    }

    /// A health change from the monitor; dropped when it was computed for a configuration that is gone.
    func healthChanged(_ update: HealthUpdate) {
        state.withLock { state in
            guard update.generation == state.generation else { return }
            publish(store.snapshot.configuration, health: update.health, builder: &state.builder)
        }
    }

    private func publish(_ configuration: Configuration, health: HealthVector, builder: inout SnapshotBuilder) {
        let old = store.snapshot
        let snapshot = builder.build(configuration, health: health, previous: old.table)
        store.publish(snapshot)
        logAnswerChanges(from: old, to: snapshot)
    }

    /// One line per profile whose answer or reason changed; fail-open is a warning, since every endpoint is down.
    private func logAnswerChanges(from old: ServingSnapshot, to new: ServingSnapshot) {
        let oldSet = ProfileSet(old.configuration.profiles), newSet = ProfileSet(new.configuration.profiles)
        let before = Dictionary(old.configuration.profiles.map {
            ($0.name, Router.decide($0, set: oldSet, health: old.health))
        }, uniquingKeysWith: { first, _ in first })
        for profile in new.configuration.profiles {
            let decision = Router.decide(profile, set: newSet, health: new.health)
            guard before[profile.name] != decision else { continue }
            Self.log(decision, profile: profile, to: logger, previous: before[profile.name])
        }
    }

    static func log(_ decision: Decision, profile: Profile, to logger: Logger, previous: Decision?) {
        var metadata: Logger.Metadata = [
            "profile": "\(profile.name)", "name": "\(profile.fqdn)",
            "endpoint": "\(decision.endpoint.map { "\($0.name) (\($0.target))" } ?? "none")",
            "reason": "\(describe(decision.reason))",
        ]
        if let previous { metadata["was"] = "\(previous.endpoint?.name ?? "none")" }
        if decision.reason == .failOpen {
            logger.warning("every enabled endpoint is Degraded; failing open", metadata: metadata)
        } else {
            logger.notice("profile answer", metadata: metadata)
        }
    }

    static func describe(_ reason: Decision.Reason) -> String {
        switch reason {
        case .primary: "primary"
        case .failover(let skipped): "failover (\(skipped) unavailable above it)"
        case .failOpen: "fail-open"
        case .profileDisabled: "profile disabled"
        case .noEndpoints: "no enabled endpoint"
        case .perQuery: "chosen per query"
        }
    }
}
