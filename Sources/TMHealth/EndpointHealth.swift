import Foundation
import TMRouting

/// One endpoint's monitor history as status reports show it.
public struct EndpointHealth: Sendable, Hashable {
    public let verdict: MonitorStatus
    public let consecutiveFailures: Int
    public let consecutiveSuccesses: Int
    /// The profile's `requiredSuccesses`: how many consecutive successes a Degraded endpoint needs.
    public let requiredSuccesses: Int
    public let lastResult: ProbeResult?
    /// Since when the verdict holds; nil while the endpoint has neither been probed nor restored.
    public let since: Date?

    public init(
        verdict: MonitorStatus, consecutiveFailures: Int, consecutiveSuccesses: Int = 0, requiredSuccesses: Int = 1,
        lastResult: ProbeResult?, since: Date?
    ) {
        self.verdict = verdict
        self.consecutiveFailures = consecutiveFailures
        self.consecutiveSuccesses = consecutiveSuccesses
        self.requiredSuccesses = requiredSuccesses
        self.lastResult = lastResult
        self.since = since
    }
}
