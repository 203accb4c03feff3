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
    /// Counts towards `requiredSuccesses` for a Degraded endpoint.
    public let consecutiveSuccesses: Int
    public let since: Date

    public init(
        profile: String, endpoint: String, fingerprint: String, status: MonitorStatus,
        consecutiveFailures: Int, consecutiveSuccesses: Int = 0, since: Date
    ) {
        self.profile = profile
        self.endpoint = endpoint
        self.fingerprint = fingerprint
        self.status = status
        self.consecutiveFailures = consecutiveFailures
        self.consecutiveSuccesses = consecutiveSuccesses
        self.since = since
    }

    private enum CodingKeys: String, CodingKey {
        case profile, endpoint, fingerprint, status, consecutiveFailures, consecutiveSuccesses, since
    }

    /// State files written before `consecutiveSuccesses` existed lack it: they read as no successes yet, rather
    /// than as a corrupt file that would throw every saved status away.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        profile = try container.decode(String.self, forKey: .profile)
        endpoint = try container.decode(String.self, forKey: .endpoint)
        fingerprint = try container.decode(String.self, forKey: .fingerprint)
        status = try container.decode(MonitorStatus.self, forKey: .status)
        consecutiveFailures = try container.decode(Int.self, forKey: .consecutiveFailures)
        consecutiveSuccesses = try container.decodeIfPresent(Int.self, forKey: .consecutiveSuccesses) ?? 0
        since = try container.decode(Date.self, forKey: .since)
    }
}
