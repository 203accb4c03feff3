import TMRouting

/// Azure Traffic Manager's monitor semantics for one endpoint, as a pure value:
/// Degraded on the (N+1)-th consecutive failure, N = toleratedNumberOfFailures; any success resets the count and
/// brings the endpoint Online.
public struct MonitorState: Sendable, Hashable {
    public let toleratedFailures: Int
    public private(set) var verdict: MonitorStatus = .checkingEndpoint
    public private(set) var consecutiveFailures = 0
    public private(set) var lastResult: ProbeResult?

    public init(toleratedFailures: Int) { self.toleratedFailures = toleratedFailures }

    /// A state restored from an earlier run: no result of this run yet.
    public init(toleratedFailures: Int, verdict: MonitorStatus, consecutiveFailures: Int) {
        precondition(verdict.isProbeVerdict, "a monitor concludes CheckingEndpoint, Online or Degraded only")
        self.toleratedFailures = toleratedFailures
        self.verdict = verdict
        self.consecutiveFailures = consecutiveFailures
    }

    /// Records a result; returns the old verdict when it changed.
    public mutating func record(_ result: ProbeResult) -> MonitorStatus? {
        let old = verdict
        lastResult = result
        if result.isSuccess {
            consecutiveFailures = 0
            verdict = .online
        } else {
            consecutiveFailures += 1
            if consecutiveFailures > toleratedFailures { verdict = .degraded }
        }
        return verdict == old ? nil : old
    }

    /// The same history under new settings (a reload that kept the endpoint but not the tolerance).
    public func retuned(toleratedFailures: Int) -> MonitorState {
        var copy = MonitorState(toleratedFailures: toleratedFailures)
        copy.verdict = verdict
        copy.consecutiveFailures = consecutiveFailures
        copy.lastResult = lastResult
        return copy
    }
}
