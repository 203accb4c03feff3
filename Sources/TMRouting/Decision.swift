/// The outcome of routing one query (or, without a client, one profile) read from its route plan: the answer and
/// the reason, one step per level of nesting. Logs, status, explanations and metrics format this value; nothing
/// routes a second time.
public struct Decision: Hashable, Sendable {
    /// From the profile asked for down to the one whose endpoint answers.
    public let steps: [Step]
    /// The answer set (an index into the profile's `ProfileRoute.answerSets`); nil for NODATA or when
    /// `isPerQuery`.
    public let answer: Int?
    /// The plan was read without a client and reached a choice made per query (Geographic, Subnet, Weighted):
    /// `steps` ends above it.
    public let isPerQuery: Bool

    public init(steps: [Step], answer: Int?, isPerQuery: Bool = false) {
        self.steps = steps
        self.answer = answer
        self.isPerQuery = isPerQuery
    }

    /// Whether the profile itself (the first level) answered by failing open.
    public var failsOpen: Bool { steps.first?.reason.failsOpen ?? false }
}

/// One level of a decision: which profile chose, and how.
public struct Step: Hashable, Sendable {
    public let profile: String
    public let reason: Reason

    public init(profile: String, reason: Reason) {
        self.profile = profile
        self.reason = reason
    }
}

/// Why a profile chose what it chose. Endpoints are `Endpoint.id`s of the configuration the plan was built from.
public enum Reason: Hashable, Sendable {
    /// The endpoint of highest priority that is servable.
    case primary(endpoint: Int)
    /// A servable endpoint below `from`, the first of higher priority that was not servable, and its status.
    case failover(endpoint: Int, from: Int, fromStatus: MonitorStatus)
    /// Every enabled endpoint is Degraded, so all count as Online (Azure's fail-open); the first answers.
    case failOpen(endpoint: Int)
    /// The client's most specific location code that an endpoint maps.
    case geographic(endpoint: Int, code: String, location: LocationEvidence)
    /// The client's address is in `range`.
    case subnet(endpoint: Int, range: SubnetRange)
    /// No range holds the client's address (or the range's endpoint is unavailable): the endpoint without ranges.
    case subnetFallback(endpoint: Int)
    /// A random pick by weight among the available endpoints (all of them when failing open).
    case weighted(endpoint: Int, weight: Int, totalWeight: Int, failOpen: Bool)
    /// Every available endpoint's address, up to maxReturn of each family.
    case multiValue(endpoints: [Int], failOpen: Bool)
    /// The endpoint chosen is a nested one whose child is Stopped: NODATA.
    case stopped(endpoint: Int)
    /// Nothing matched the client (no location code, no range and no fallback): NODATA.
    case noMatch(location: LocationEvidence?)
    /// No enabled endpoint that is not Stopped: NODATA.
    case noEndpoints
    /// The profile is disabled: its name does not exist.
    case profileDisabled

    /// The endpoint this level handed on to (the answer, or the nested endpoint whose child continues).
    public var endpoint: Int? {
        switch self {
        case .primary(let id), .failover(let id, _, _), .failOpen(let id), .geographic(let id, _, _),
            .subnet(let id, _), .subnetFallback(let id), .weighted(let id, _, _, _):
            id
        case .multiValue, .stopped, .noMatch, .noEndpoints, .profileDisabled:
            nil
        }
    }

    public var failsOpen: Bool {
        switch self {
        case .failOpen: true
        case .weighted(_, _, _, let failOpen), .multiValue(_, let failOpen): failOpen
        default: false
        }
    }
}

/// Where a Geographic choice found the client: which address (the ECS subnet or the resolver's own), which table
/// (the operator's subnet map or the geo database) and the network that decided.
public struct LocationEvidence: Hashable, Sendable {
    public let address: ClientQuery.AddressOrigin
    public let source: ClientLocation.Source
    /// The prefix length of the table entry that decided; nil when none did.
    public let prefixLength: Int?

    public init(address: ClientQuery.AddressOrigin, source: ClientLocation.Source, prefixLength: Int?) {
        self.address = address
        self.source = source
        self.prefixLength = prefixLength
    }
}
