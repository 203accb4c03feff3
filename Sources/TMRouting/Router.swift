/// The outcome of routing one query for one profile, with the reason it went that way.
public struct Decision: Sendable, Hashable {
    public enum Reason: Sendable, Hashable {
        /// The endpoint of highest priority among those servable.
        case primary
        /// A servable endpoint after `skipped` unservable ones of higher priority.
        case failover(skipped: Int)
        /// Every enabled endpoint is degraded, so all are treated as online (Azure's fail-open).
        case failOpen
        /// The profile is disabled: its name does not exist.
        case profileDisabled
        /// No endpoint is enabled: the name exists but has no data.
        case noEndpoints
        /// The answer depends on the client or on chance (Geographic, Subnet, Weighted), or is several (MultiValue).
        case perQuery
    }

    public let endpoint: Endpoint?
    public let reason: Reason

    public init(endpoint: Endpoint?, reason: Reason) {
        self.endpoint = endpoint
        self.reason = reason
    }
}

/// Every profile, findable by name, for following nested endpoints.
public struct ProfileSet: Sendable, Hashable {
    public let profiles: [Profile]
    private let indexByName: [String: Int]

    public init(_ profiles: [Profile]) {
        self.profiles = profiles
        indexByName = Dictionary(profiles.enumerated().map { ($1.name.lowercased(), $0) },
                                 uniquingKeysWith: { first, _ in first })
    }

    public subscript(name: String) -> Profile? { indexByName[name.lowercased()].map { profiles[$0] } }
}

/// A profile's prepared routing: the plan and the answer sets its leaves point at.
public struct RoutingResult: Sendable, Hashable {
    public let plan: RoutePlan
    public let answerSets: [AnswerSet]
}

/// The routing decision: pure functions of profiles and the health vector.
public enum Router {
    /// The monitor status of any endpoint; for nested ones, Azure's rule over the child's endpoints.
    public static func status(of endpoint: Endpoint, in profile: Profile, set: ProfileSet,
                              health: HealthVector) -> MonitorStatus {
        guard profile.isEnabled, endpoint.isEnabled, let nested = endpoint.nested else {
            return health.status(of: endpoint, in: profile)
        }
        guard let child = set[nested.profile], child.isEnabled else { return .stopped }
        let eligible = child.endpoints.filter(\.isEnabled)
        guard !eligible.isEmpty else { return .stopped }
        var online = (all: 0, v4: 0, v6: 0), usable = (all: 0, v4: 0, v6: 0)
        for candidate in eligible {
            let status = Self.status(of: candidate, in: child, set: set, health: health)
            let isOnline = status == .online || status == .unmonitored
            guard isOnline || status == .checkingEndpoint else { continue }
            let (v4, v6) = candidate.nested != nil ? (0, 0) : candidate.target.addressFamilyCounts
            usable = (usable.all + 1, usable.v4 + v4, usable.v6 + v6)
            if isOnline { online = (online.all + 1, online.v4 + v4, online.v6 + v6) }
        }
        func meets(_ counts: (all: Int, v4: Int, v6: Int)) -> Bool {
            counts.all >= nested.minChildEndpoints && counts.v4 >= nested.minChildEndpointsIPv4
                && counts.v6 >= nested.minChildEndpointsIPv6
        }
        return meets(online) ? .online : meets(usable) ? .checkingEndpoint : .degraded
    }

    /// Priority routing's choice at the top of a profile, for logs and status. Other methods answer per query.
    public static func decide(_ profile: Profile, set: ProfileSet, health: HealthVector) -> Decision {
        guard profile.isEnabled else { return Decision(endpoint: nil, reason: .profileDisabled) }
        let eligible = eligibleEndpoints(profile, set: set, health: health)
        guard !eligible.isEmpty else { return Decision(endpoint: nil, reason: .noEndpoints) }
        guard profile.method == .priority else { return Decision(endpoint: nil, reason: .perQuery) }
        if let index = eligible.firstIndex(where: { $0.status.isServable }) {
            return Decision(endpoint: eligible[index].endpoint, reason: index == 0 ? .primary : .failover(skipped: index))
        }
        return Decision(endpoint: eligible[0].endpoint, reason: .failOpen)
    }

    /// A profile without nested endpoints: the common case, and what the older call sites mean.
    public static func decide(_ profile: Profile, health: HealthVector) -> Decision {
        decide(profile, set: ProfileSet([profile]), health: health)
    }

    /// The plan for a profile name; nested endpoints are followed to their leaves, so the answer is always the leaf
    /// endpoint's record, never a chain through the child's name.
    public static func route(_ profile: Profile, set: ProfileSet, health: HealthVector) -> RoutingResult {
        var builder = PlanBuilder(set: set, health: health)
        let plan = builder.plan(for: profile)
        return RoutingResult(plan: plan, answerSets: builder.answerSets)
    }

    /// Enabled endpoints that are not Stopped, in priority order, with their status.
    static func eligibleEndpoints(_ profile: Profile, set: ProfileSet,
                                  health: HealthVector) -> [(endpoint: Endpoint, status: MonitorStatus)] {
        profile.endpoints.filter(\.isEnabled).map { ($0, status(of: $0, in: profile, set: set, health: health)) }
            .filter { $0.status != .stopped }
    }
}

/// Builds one profile's plan, collecting distinct answer sets as leaves. Fail-open applies at each level, on the
/// set being chosen from.
struct PlanBuilder {
    let set: ProfileSet
    let health: HealthVector
    private(set) var answerSets: [AnswerSet] = []
    private var indexBySet: [AnswerSet: Int] = [:]

    init(set: ProfileSet, health: HealthVector) {
        self.set = set
        self.health = health
    }

    mutating func plan(for profile: Profile) -> RoutePlan {
        guard profile.isEnabled else { return .noData }
        let eligible = Router.eligibleEndpoints(profile, set: set, health: health)
        // Servable ones, or (fail-open) all of them when none is.
        let available = eligible.filter { $0.status.isServable }.map(\.endpoint)
        let candidates = available.isEmpty ? eligible.map(\.endpoint) : available
        switch profile.method {
        case .priority, .performance:
            return candidates.first.map { plan(for: $0) } ?? .noData
        case .weighted:
            let choices = candidates.map { RoutePlan.WeightedChoice(weight: $0.weight, plan: plan(for: $0)) }
            return choices.count == 1 ? choices[0].plan : choices.isEmpty ? .noData : .weighted(choices)
        case .multiValue:
            let targets = candidates.map(\.target)
            let set = AnswerSet(a: Array(targets.compactMap(\.ipv4).prefix(profile.maxReturn)),
                                aaaa: Array(targets.compactMap(\.ipv6).prefix(profile.maxReturn)))
            return set.a.isEmpty && set.aaaa.isEmpty ? .noData : .answer(index(of: set))
        case .geographic:
            // The matched endpoint is returned whatever its health, as in Azure: the child profile fails over.
            var table: [String: RoutePlan] = [:]
            for endpoint in profile.endpoints where endpoint.isEnabled {
                let stopped = Router.status(of: endpoint, in: profile, set: set, health: health) == .stopped
                let next = stopped ? RoutePlan.noData : plan(for: endpoint)
                for code in endpoint.geoMapping { table[code.uppercased()] = next }
            }
            return table.isEmpty ? .noData : .geographic(table)
        case .subnet:
            return subnetPlan(profile, available: Set(available.map(\.id)))
        }
    }

    /// A range whose endpoint is unavailable answers the fallback instead, when the fallback is available.
    private mutating func subnetPlan(_ profile: Profile, available: Set<Int>) -> RoutePlan {
        let enabled = profile.endpoints.filter { $0.isEnabled && Router.status(
            of: $0, in: profile, set: set, health: health) != .stopped }
        let fallbackEndpoint = enabled.first { $0.subnets.isEmpty }
        let fallback = fallbackEndpoint.map { plan(for: $0) }
        let fallbackAvailable = fallbackEndpoint.map { available.contains($0.id) } ?? false
        var choices: [RoutePlan.SubnetChoice] = []
        for endpoint in enabled where !endpoint.subnets.isEmpty {
            let next = available.contains(endpoint.id) || !fallbackAvailable ? plan(for: endpoint) : fallback!
            choices += endpoint.subnets.map { RoutePlan.SubnetChoice(range: $0, plan: next) }
        }
        choices.sort { $0.range.first < $1.range.first }
        return choices.isEmpty && fallback == nil ? .noData : .subnet(choices, fallback: fallback)
    }

    private mutating func plan(for endpoint: Endpoint) -> RoutePlan {
        if let nested = endpoint.nested {
            guard let child = set[nested.profile] else { return .noData }
            return plan(for: child)
        }
        return .answer(index(of: AnswerSet(endpoint: endpoint)))
    }

    private mutating func index(of answerSet: AnswerSet) -> Int {
        if let index = indexBySet[answerSet] { return index }
        answerSets.append(answerSet)
        indexBySet[answerSet] = answerSets.count - 1
        return answerSets.count - 1
    }
}

extension EndpointTarget {
    var ipv4: IPv4Address? {
        if case .ipv4(let address) = self { address } else { nil }
    }

    var ipv6: IPv6Address? {
        if case .ipv6(let address) = self { address } else { nil }
    }

    var addressFamilyCounts: (Int, Int) { (ipv4 == nil ? 0 : 1, ipv6 == nil ? 0 : 1) }
}
