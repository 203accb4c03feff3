import Foundation

/// One vantage point's verdict on one endpoint, as a server of a fleet publishes it in etcd.
public struct VantageVerdict: Sendable, Codable, Equatable {
    /// Online or Degraded.
    public let status: MonitorStatus
    /// The last probe's result, as the status-change log words it.
    public let result: String?
    /// Since when the verdict holds.
    public let since: Date

    public init(status: MonitorStatus, result: String?, since: Date) {
        self.status = status
        self.result = result
        self.since = since
    }
}
