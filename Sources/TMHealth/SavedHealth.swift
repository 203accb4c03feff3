import Foundation
import TMRouting

/// One endpoint's health as written to the state file, so that a restart does not start from nothing. The one
/// type for saved health: the monitor makes it, the state file stores it, a restart hands it back.
public struct SavedHealth: Codable, Sendable, Hashable {
    public let profile: String
    public let endpoint: String
    /// Target and monitor settings; a saved status is restored only for an identical probe.
    public let fingerprint: String
    /// The monitor's verdict: CheckingEndpoint, Online or Degraded.
    public let status: MonitorStatus
    public let consecutiveFailures: Int
    public let since: Date

    public init(
        profile: String, endpoint: String, fingerprint: String, status: MonitorStatus,
        consecutiveFailures: Int, since: Date
    ) {
        self.profile = profile
        self.endpoint = endpoint
        self.fingerprint = fingerprint
        self.status = status
        self.consecutiveFailures = consecutiveFailures
        self.since = since
    }
}
