/// Azure Traffic Manager's endpoint monitor status: the one status type. The health monitor's verdict is one of
/// `checkingEndpoint`, `online` and `degraded`; configuration and nesting give the others.
public enum MonitorStatus: String, Sendable, Hashable, Codable, CaseIterable {
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

    /// Whether a probe can conclude this (the rest come from configuration).
    public var isProbeVerdict: Bool {
        switch self {
        case .checkingEndpoint, .online, .degraded: true
        case .disabled, .inactive, .unmonitored, .stopped: false
        }
    }
}
