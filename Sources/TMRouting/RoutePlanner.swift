/// Builds route plans from profiles and health: the routing rule itself (eligibility, fail-open, each method,
/// nesting), written once. Fail-open applies at each level, on the set being chosen from.
struct RoutePlanner {
    let profiles: ProfileSet
    let health: HealthVector
    /// Endpoint statuses by profile index: computed once per profile per build, and carried over from an earlier
    /// table for profiles a change did not touch.
    private var knownStatuses: [Int: [MonitorStatus]]

    init(profiles: ProfileSet, health: HealthVector, knownStatuses: [Int: [MonitorStatus]] = [:]) {
        self.profiles = profiles
        self.health = health
        self.knownStatuses = knownStatuses
    }

    /// The profile's plan, with answer sets collected across every nested level it reaches.
    mutating func route(_ index: Int) -> ProfileRoute {
        var answerSets = AnswerSetCollector()
        let plan = plan(for: index, into: &answerSets)
        let statuses = statuses(of: index)
        return ProfileRoute(
            plan: plan, answerSets: answerSets.sets, decision: plan.decision, statuses: statuses,
            profileStatus: ProfileStatus(profile: profiles[index], statuses: statuses))
    }

    /// The monitor status of every endpoint of a profile, in its endpoint order.
    mutating func statuses(of index: Int) -> [MonitorStatus] {
        if let known = knownStatuses[index] { return known }
        let profile = profiles[index]
        let statuses = profile.endpoints.map { endpoint -> MonitorStatus in
            guard profile.isEnabled, endpoint.isEnabled, health.overrides[endpoint.id] == nil,
                let nested = endpoint.nested
            else {
                return health.status(of: endpoint, in: profile)
            }
            return nestedStatus(nested)
        }
        knownStatuses[index] = statuses
        return statuses
    }

    /// Azure's rule for a nested endpoint: Online when enough of the child's endpoints are Online (or Unmonitored),
    /// CheckingEndpoint when enough would be counting those still checking, Degraded otherwise; Stopped when the
    /// child is disabled or has no enabled endpoint.
    private mutating func nestedStatus(_ nested: NestedTarget) -> MonitorStatus {
        guard let childIndex = profiles.index(named: nested.profile), profiles[childIndex].isEnabled else {
            return .stopped
        }
        let child = profiles[childIndex]
        let childStatuses = statuses(of: childIndex)
        // A drained endpoint counts as disabled here too.
        guard zip(child.endpoints, childStatuses).contains(where: { $0.isEnabled && $1 != .disabled }) else {
            return .stopped
        }
        var online = (all: 0, v4: 0, v6: 0)
        var usable = (all: 0, v4: 0, v6: 0)
        for (candidate, status) in zip(child.endpoints, childStatuses) where candidate.isEnabled {
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

    private mutating func plan(for index: Int, into sets: inout AnswerSetCollector) -> RoutePlan {
        let profile = profiles[index]
        func chose(_ reason: Reason, then next: RoutePlan) -> RoutePlan {
            .chose(Step(profile: profile.name, reason: reason), then: next)
        }
        guard profile.isEnabled else { return chose(.profileDisabled, then: .noData) }
        let statuses = statuses(of: index)
        // Disabled by configuration or drained by an operator: never answered, not even when failing open.
        let eligible = profile.endpoints.indices.filter {
            profile.endpoints[$0].isEnabled && statuses[$0] != .stopped && statuses[$0] != .disabled
        }
        guard let first = eligible.first else { return chose(.noEndpoints, then: .noData) }
        let available = eligible.filter { statuses[$0].isServable }
        let failOpen = available.isEmpty
        let candidates = failOpen ? eligible : available
        switch profile.method {
        case .priority:
            let picked = profile.endpoints[candidates[0]]
            let reason: Reason =
                failOpen
                ? .failOpen(endpoint: picked.id)
                : candidates[0] == first
                    ? .primary(endpoint: picked.id)
                    : .failover(endpoint: picked.id, from: profile.endpoints[first].id, fromStatus: statuses[first])
            return chose(reason, then: plan(forEndpoint: picked, into: &sets))
        case .weighted:
            let choices = candidates.map { position in
                let endpoint = profile.endpoints[position]
                return RoutePlan.WeightedChoice(
                    endpoint: endpoint.id, weight: endpoint.weight,
                    plan: plan(forEndpoint: endpoint, into: &sets))
            }
            guard choices.count > 1 else {
                let only = choices[0]
                return chose(
                    .weighted(
                        endpoint: only.endpoint, weight: only.weight, totalWeight: only.weight,
                        failOpen: failOpen), then: only.plan)
            }
            return .weighted(profile: profile.name, choices, failOpen: failOpen)
        case .multiValue:
            let endpoints = candidates.map { profile.endpoints[$0] }
            let v4 = endpoints.filter { $0.target.ipv4 != nil }.prefix(profile.maxReturn)
            let v6 = endpoints.filter { $0.target.ipv6 != nil }.prefix(profile.maxReturn)
            guard !v4.isEmpty || !v6.isEmpty else { return chose(.noEndpoints, then: .noData) }
            let set = AnswerSet(a: v4.compactMap(\.target.ipv4), aaaa: v6.compactMap(\.target.ipv6))
            let answered = endpoints.filter { endpoint in
                v4.contains { $0.id == endpoint.id }
                    || v6.contains { $0.id == endpoint.id }
            }
            return chose(
                .multiValue(endpoints: answered.map(\.id), failOpen: failOpen),
                then: .answer(sets.index(of: set)))
        case .geographic:
            // The matched endpoint is returned whatever its health, as in Azure: the child profile fails over.
            var table: [String: RoutePlan.GeographicChoice] = [:]
            for (position, endpoint) in profile.endpoints.enumerated()
            where endpoint.isEnabled && statuses[position] != .disabled {
                let stopped = statuses[position] == .stopped
                let choice = RoutePlan.GeographicChoice(
                    endpoint: endpoint.id, isStopped: stopped,
                    plan: stopped ? .noData : plan(forEndpoint: endpoint, into: &sets))
                for code in endpoint.geoMapping { table[code.uppercased()] = choice }
            }
            return .geographic(profile: profile.name, table)
        case .subnet:
            return subnetPlan(profile, eligible: eligible, available: Set(available), into: &sets)
        }
    }

    /// A range whose endpoint is unavailable answers the fallback (the first eligible endpoint without ranges)
    /// instead, when the fallback is available.
    private mutating func subnetPlan(
        _ profile: Profile, eligible: [Int], available: Set<Int>,
        into sets: inout AnswerSetCollector
    ) -> RoutePlan {
        let fallbackPosition = eligible.first { profile.endpoints[$0].subnets.isEmpty }
        let fallback = fallbackPosition.map { position in
            RoutePlan.SubnetFallback(
                endpoint: profile.endpoints[position].id,
                plan: plan(forEndpoint: profile.endpoints[position], into: &sets))
        }
        let fallbackAvailable = fallbackPosition.map(available.contains) ?? false
        var choices: [RoutePlan.SubnetChoice] = []
        for position in eligible where !profile.endpoints[position].subnets.isEmpty {
            let endpoint = profile.endpoints[position]
            let usesFallback = !available.contains(position) && fallbackAvailable
            let next = usesFallback ? fallback!.plan : plan(forEndpoint: endpoint, into: &sets)
            choices += endpoint.subnets.map {
                RoutePlan.SubnetChoice(range: $0, endpoint: endpoint.id, usesFallback: usesFallback, plan: next)
            }
        }
        choices.sort { $0.range.first < $1.range.first }
        return .subnet(profile: profile.name, choices, fallback: fallback)
    }

    /// Nested endpoints are followed to their leaves, so the answer is always the leaf endpoint's record, never a
    /// chain through the child's name.
    private mutating func plan(forEndpoint endpoint: Endpoint, into sets: inout AnswerSetCollector) -> RoutePlan {
        guard let nested = endpoint.nested else { return .answer(sets.index(of: AnswerSet(endpoint: endpoint))) }
        guard let child = profiles.index(named: nested.profile) else { return .noData }
        return plan(for: child, into: &sets)
    }
}

/// Distinct answer sets in the order a plan first reaches them.
struct AnswerSetCollector {
    private(set) var sets: [AnswerSet] = []
    private var indexBySet: [AnswerSet: Int] = [:]

    mutating func index(of set: AnswerSet) -> Int {
        if let index = indexBySet[set] { return index }
        sets.append(set)
        indexBySet[set] = sets.count - 1
        return sets.count - 1
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
