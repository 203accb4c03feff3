import TMRouting

/// Azure Traffic Manager's monitor semantics for one endpoint, as a pure value:
/// Degraded on the (N+1)-th consecutive failure, N = toleratedNumberOfFailures; any success resets the failure
/// count. A Degraded endpoint comes back Online after `requiredSuccesses` consecutive successes (edgetm's
/// anti-flap rule; 1, the default, is Azure's behaviour). CheckingEndpoint and Online become Online on any success.
public struct MonitorState: Sendable, Hashable {
    public let toleratedFailures: Int
    public let requiredSuccesses: Int
    public private(set) var verdict: MonitorStatus = .checkingEndpoint
    public private(set) var consecutiveFailures = 0
    public private(set) var consecutiveSuccesses = 0
    public private(set) var lastResult: ProbeResult?

    public init(toleratedFailures: Int, requiredSuccesses: Int = 1) {
        precondition(requiredSuccesses >= 1, "at least one success brings an endpoint back")
        self.toleratedFailures = toleratedFailures
        self.requiredSuccesses = requiredSuccesses
    }

    /// A state restored from an earlier run: no result of this run yet.
    public init(
        toleratedFailures: Int, requiredSuccesses: Int = 1, verdict: MonitorStatus, consecutiveFailures: Int,
        consecutiveSuccesses: Int = 0
    ) {
        precondition(verdict.isProbeVerdict, "a monitor concludes CheckingEndpoint, Online or Degraded only")
        self.init(toleratedFailures: toleratedFailures, requiredSuccesses: requiredSuccesses)
        self.verdict = verdict
        self.consecutiveFailures = consecutiveFailures
        self.consecutiveSuccesses = consecutiveSuccesses
    }

    /// How many more results in a row, failures (successes while Degraded), would change the verdict between
    /// servable and Degraded; nil while none is on its way (no failure since the last success). What an adaptive
    /// TTL (edgetm extension) is computed from.
    public var resultsUntilChange: Int? {
        if verdict == .degraded { return max(1, requiredSuccesses - consecutiveSuccesses) }
        guard consecutiveFailures > 0 else { return nil }
        // A reload may have lowered the tolerance below the failures so far: the next failure decides.
        return max(1, toleratedFailures + 1 - consecutiveFailures)
    }

    /// Records a result; returns the old verdict when it changed.
    public mutating func record(_ result: ProbeResult) -> MonitorStatus? {
        let old = verdict
        lastResult = result
        if result.isSuccess {
            consecutiveFailures = 0
            consecutiveSuccesses += 1
            // Only a way back from Degraded has to be earned; a new endpoint (Checking) is already being served.
            if verdict != .degraded || consecutiveSuccesses >= requiredSuccesses { verdict = .online }
        } else {
            consecutiveSuccesses = 0
            consecutiveFailures += 1
            if consecutiveFailures > toleratedFailures { verdict = .degraded }
        }
        return verdict == old ? nil : old
    }

    /// The same history under new settings (a reload that kept the endpoint but not the thresholds). The verdict
    /// stands until the next result is judged by the new thresholds.
    public func retuned(toleratedFailures: Int, requiredSuccesses: Int) -> MonitorState {
        var copy = MonitorState(toleratedFailures: toleratedFailures, requiredSuccesses: requiredSuccesses)
        copy.verdict = verdict
        copy.consecutiveFailures = consecutiveFailures
        copy.consecutiveSuccesses = consecutiveSuccesses
        copy.lastResult = lastResult
        return copy
    }
}
