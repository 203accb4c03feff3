/// The outcome of routing one query for one profile, with the reason it went that way.
public struct Decision: Sendable, Hashable {
    public enum Reason: Sendable, Hashable {
        /// The endpoint of highest priority among those servable.
        case primary
        /// A servable endpoint after `skipped` unservable ones of higher priority.
        case failover(skipped: Int)
        /// Every enabled endpoint is degraded, so all are treated as online (Azure's fail-open).
        case failOpen
        /// The profile is disabled: its name does not exist.
        case profileDisabled
        /// No endpoint is enabled: the name exists but has no data.
        case noEndpoints
    }

    public let endpoint: Endpoint?
    public let reason: Reason

    public init(endpoint: Endpoint?, reason: Reason) {
        self.endpoint = endpoint
        self.reason = reason
    }
}

/// The routing decision: a pure function of a profile and the health vector.
public enum Router {
    public static func decide(_ profile: Profile, health: HealthVector) -> Decision {
        guard profile.isEnabled else { return Decision(endpoint: nil, reason: .profileDisabled) }
        let eligible = profile.endpoints.filter(\.isEnabled)
        guard !eligible.isEmpty else { return Decision(endpoint: nil, reason: .noEndpoints) }
        switch profile.method {
        case .priority:
            return pickByPriority(eligible, profile: profile, health: health)
        case .weighted, .performance, .geographic, .multiValue, .subnet:
            // The loader refuses these methods until they are implemented; priority order is the safe reading.
            return pickByPriority(eligible, profile: profile, health: health)
        }
    }

    /// `eligible` is in priority order (Profile sorts its endpoints).
    static func pickByPriority(_ eligible: [Endpoint], profile: Profile, health: HealthVector) -> Decision {
        if let index = eligible.firstIndex(where: { health.status(of: $0, in: profile).isServable }) {
            return Decision(endpoint: eligible[index], reason: index == 0 ? .primary : .failover(skipped: index))
        }
        return Decision(endpoint: eligible[0], reason: .failOpen)
    }
}
