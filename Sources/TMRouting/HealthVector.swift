/// The health monitor's verdict on every endpoint (`checkingEndpoint`, `online` or `degraded`), indexed by
/// `Endpoint.id`, and the operator's overrides, which routing applies over the verdicts. Immutable once published;
/// the health module writes the verdicts, the publisher the overrides.
public struct HealthVector: Sendable, Hashable {
    public private(set) var verdicts: [MonitorStatus]
    /// By endpoint id; empty unless an operator set admin state.
    public var overrides: [Int: AdminOverride] = [:]
    /// By endpoint id, only for endpoints that answers with an adaptive TTL depend on (`AdaptiveTTL`): seconds from
    /// when the vector was made until probe results could change the verdict: to Degraded for an endpoint that has
    /// failed since its last success and is not Degraded yet, to Online for a Degraded one. Absent when no result
    /// in sight would change it (no failure since the last success).
    public var verdictMayChangeIn: [Int: Double] = [:]

    /// Every endpoint still `checkingEndpoint`: the state before the first probe round.
    public init(endpointCount: Int) { verdicts = Array(repeating: .checkingEndpoint, count: endpointCount) }

    public init(verdicts: [MonitorStatus]) {
        precondition(verdicts.allSatisfy(\.isProbeVerdict), "a health vector holds probe verdicts only")
        self.verdicts = verdicts
    }

    public subscript(id: Int) -> MonitorStatus {
        get { id < verdicts.count ? verdicts[id] : .checkingEndpoint }
        set {
            precondition(newValue.isProbeVerdict, "a health vector holds probe verdicts only")
            if id >= verdicts.count {
                verdicts += Array(repeating: .checkingEndpoint, count: id - verdicts.count + 1)
            }
            verdicts[id] = newValue
        }
    }

    /// The monitor status of an endpoint that is not nested: the verdict combined with configuration, and an
    /// admin override above both but below a disabled profile or endpoint.
    public func status(of endpoint: Endpoint, in profile: Profile) -> MonitorStatus {
        if !profile.isEnabled { return .inactive }
        if !endpoint.isEnabled { return .disabled }
        if let override = overrides[endpoint.id] { return override.action.status }
        if endpoint.alwaysServe { return .unmonitored }
        return self[endpoint.id]
    }
}
