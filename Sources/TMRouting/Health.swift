/// What probing has concluded about an endpoint; the health module is its only writer.
public enum ProbeHealth: Sendable, Hashable {
    /// No result yet.
    case checking
    case online
    case degraded
}

/// Azure Traffic Manager's endpoint monitor status: probe health combined with configuration.
public enum MonitorStatus: String, Sendable, Hashable {
    case checkingEndpoint = "CheckingEndpoint"
    case online = "Online"
    case degraded = "Degraded"
    case disabled = "Disabled"
    case inactive = "Inactive"
    case unmonitored = "Unmonitored"
    /// A nested endpoint whose child profile is disabled or has no enabled endpoint.
    case stopped = "Stopped"

    /// Whether routing may pick the endpoint without falling back to fail-open.
    public var isServable: Bool {
        switch self {
        case .checkingEndpoint, .online, .unmonitored: true
        case .degraded, .disabled, .inactive, .stopped: false
        }
    }
}

/// Probe health of every endpoint, indexed by `Endpoint.id`. Immutable; the health module publishes new ones.
public struct HealthVector: Sendable, Hashable {
    public private(set) var probes: [ProbeHealth]

    /// Every endpoint still `checking`: the state before the first probe round.
    public init(endpointCount: Int) { probes = Array(repeating: .checking, count: endpointCount) }

    public init(probes: [ProbeHealth]) { self.probes = probes }

    public subscript(id: Int) -> ProbeHealth {
        get { id < probes.count ? probes[id] : .checking }
        set {
            if id >= probes.count { probes += Array(repeating: .checking, count: id - probes.count + 1) }
            probes[id] = newValue
        }
    }

    public func status(of endpoint: Endpoint, in profile: Profile) -> MonitorStatus {
        if !profile.isEnabled { return .inactive }
        if !endpoint.isEnabled { return .disabled }
        if endpoint.alwaysServe { return .unmonitored }
        switch self[endpoint.id] {
        case .checking: return .checkingEndpoint
        case .online: return .online
        case .degraded: return .degraded
        }
    }
}
