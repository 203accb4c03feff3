/// What one endpoint's probes did since its probe was configured, for metrics: counts by result, status changes,
/// and a histogram of durations. Kept only for endpoints that are probed.
public struct ProbeTally: Sendable, Hashable {
    /// Upper bounds of the duration histogram, in seconds (Prometheus's default buckets); one more bucket is +Inf.
    public static let bucketBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    public private(set) var successes: UInt64 = 0
    public private(set) var failures: UInt64 = 0
    /// Failures that were timeouts (also counted in `failures`).
    public private(set) var timeouts: UInt64 = 0
    /// The endpoint's verdict changes (set per endpoint when tallies are read: probes are shared, verdicts not).
    public internal(set) var statusChanges: UInt64 = 0
    public private(set) var durationSum = 0.0
    /// Per bucket, not cumulative; the last is for durations above every bound.
    public private(set) var buckets = [UInt64](repeating: 0, count: bucketBounds.count + 1)

    public init() {}

    public var count: UInt64 { successes + failures }

    mutating func record(_ result: ProbeResult) {
        switch result {
        case .success: successes += 1
        case .failure(let failure, _):
            failures += 1
            if case .timeout = failure { timeouts += 1 }
        }
        durationSum += result.latency
        buckets[Self.bucketBounds.firstIndex { result.latency <= $0 } ?? Self.bucketBounds.count] += 1
    }
}
