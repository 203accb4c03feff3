/// One profile's routing at one moment: its plan, the answer sets the plan's leaves index, the decision the plan
/// gives without a client, and the statuses it was built from.
public struct ProfileRoute: Hashable, Sendable {
    public let plan: RoutePlan
    public let answerSets: [AnswerSet]
    /// The plan read without a client: the answer of a profile that does not answer per query, with its reason.
    public let decision: Decision
    /// The monitor status of each endpoint, in `Profile.endpoints` order; nested endpoints by Azure's rule over
    /// their child profile.
    public let statuses: [MonitorStatus]
    public let profileStatus: ProfileStatus

    /// The answer set the decision hands out, when it does not depend on the client.
    public var answer: AnswerSet? { decision.answer.map { answerSets[$0] } }
}

/// Azure's profile monitor status, from its endpoints' statuses.
public enum ProfileStatus: String, Hashable, Sendable {
    case online = "Online"
    case degraded = "Degraded"
    case checkingEndpoints = "CheckingEndpoints"
    case inactive = "Inactive"
    case disabled = "Disabled"

    init(profile: Profile, statuses: [MonitorStatus]) {
        if !profile.isEnabled {
            self = .disabled
        } else if statuses.contains(.degraded) {
            self = .degraded
        } else if statuses.contains(where: { $0 == .online || $0 == .unmonitored }) {
            self = .online
        } else if statuses.contains(.checkingEndpoint) {
            self = .checkingEndpoints
        } else {
            self = .inactive
        }
    }
}
