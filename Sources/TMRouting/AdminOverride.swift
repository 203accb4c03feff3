import Foundation

/// What an operator told routing about one endpoint, whatever its probes say (edgetm's admin state).
public enum AdminAction: String, Sendable, Hashable, Codable, CaseIterable {
    /// Not answered, as if Disabled, but still probed: maintenance.
    case drained
    /// Routed as Online.
    case forcedUp = "forced-up"
    /// Routed as Degraded (fail-open still applies to a set that is all Degraded).
    case forcedDown = "forced-down"

    /// The monitor status routing sees while the action holds.
    public var status: MonitorStatus {
        switch self {
        case .drained: .disabled
        case .forcedUp: .online
        case .forcedDown: .degraded
        }
    }
}

/// One admin entry: the action, who set it, why, and until when (nil: until cleared).
public struct AdminOverride: Sendable, Hashable, Codable {
    public let action: AdminAction
    public let by: String
    public let reason: String?
    public let until: Date?

    public init(action: AdminAction, by: String, reason: String?, until: Date?) {
        self.action = action
        self.by = by
        self.reason = reason
        self.until = until
    }
}
