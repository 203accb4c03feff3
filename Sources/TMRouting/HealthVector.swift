/// The health monitor's verdict on every endpoint (`checkingEndpoint`, `online` or `degraded`), indexed by
/// `Endpoint.id`. Immutable once published; the health module is its only writer.
public struct HealthVector: Sendable, Hashable {
    public private(set) var verdicts: [MonitorStatus]

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

    /// The monitor status of an endpoint that is not nested: the verdict combined with configuration.
    public func status(of endpoint: Endpoint, in profile: Profile) -> MonitorStatus {
        if !profile.isEnabled { return .inactive }
        if !endpoint.isEnabled { return .disabled }
        if endpoint.alwaysServe { return .unmonitored }
        return self[endpoint.id]
    }
}
