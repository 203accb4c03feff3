import TMRouting

/// Azure Traffic Manager's monitor semantics for one endpoint, as a pure value:
/// Degraded on the (N+1)-th consecutive failure, N = toleratedNumberOfFailures; any success resets the count and
/// brings the endpoint Online.
public struct MonitorState: Sendable, Hashable {
    public let toleratedFailures: Int
    public private(set) var health: ProbeHealth = .checking
    public private(set) var consecutiveFailures = 0
    public private(set) var lastResult: ProbeResult?

    public init(toleratedFailures: Int) { self.toleratedFailures = toleratedFailures }

    /// A state restored from an earlier run: no result of this run yet.
    public init(toleratedFailures: Int, health: ProbeHealth, consecutiveFailures: Int) {
        self.toleratedFailures = toleratedFailures
        self.health = health
        self.consecutiveFailures = consecutiveFailures
    }

    /// Records a result; returns the old health when it changed.
    public mutating func record(_ result: ProbeResult) -> ProbeHealth? {
        let old = health
        lastResult = result
        if result.isSuccess {
            consecutiveFailures = 0
            health = .online
        } else {
            consecutiveFailures += 1
            if consecutiveFailures > toleratedFailures { health = .degraded }
        }
        return health == old ? nil : old
    }

    /// The same history under new settings (a reload that kept the endpoint but not the tolerance).
    public func retuned(toleratedFailures: Int) -> MonitorState {
        var copy = MonitorState(toleratedFailures: toleratedFailures)
        copy.health = health
        copy.consecutiveFailures = consecutiveFailures
        copy.lastResult = lastResult
        return copy
    }
}
