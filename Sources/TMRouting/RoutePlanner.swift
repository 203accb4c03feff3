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
        let profile = profiles[index]
        // Only the asked-for profile's setting counts: its name, with its TTL, is what resolvers cache. Its nested
        // children's health lowers the TTL all the same.
        let ttl = profile.adaptiveTTL ? AdaptiveTTL(profileTTL: profile.ttl) : nil
        let plan = plan(for: index, ttl: ttl, into: &answerSets)
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

    /// `ttl` is nil unless the profile asked for has an adaptive TTL; then each level lowers it by what could
    /// change its choice.
    private mutating func plan(for index: Int, ttl: AdaptiveTTL?, into sets: inout AnswerSetCollector) -> RoutePlan {
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
            // A failover (or failing open) lasts until an endpoint above the pick could be Online again.
            let above = failOpen ? candidates.dropFirst() : eligible.prefix { $0 != candidates[0] }
            let ttl = lowered(ttl, untilRecoveryOf: above, in: profile, statuses)
            return chose(reason, then: plan(forEndpoint: picked, ttl: ttl, into: &sets))
        case .weighted:
            let ttl = failOpen ? lowered(ttl, untilRecoveryOf: candidates[...], in: profile, statuses) : ttl
            let choices = candidates.map { position in
                let endpoint = profile.endpoints[position]
                return RoutePlan.WeightedChoice(
                    endpoint: endpoint.id, weight: endpoint.weight,
                    plan: plan(forEndpoint: endpoint, ttl: ttl, into: &sets))
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
            let answered = endpoints.filter { endpoint in
                v4.contains { $0.id == endpoint.id }
                    || v6.contains { $0.id == endpoint.id }
            }
            var ttl = failOpen ? lowered(ttl, untilRecoveryOf: candidates[...], in: profile, statuses) : ttl
            for endpoint in answered { ttl = ttl?.lowered(to: failure(of: endpoint)) }
            let set = AnswerSet(
                a: v4.compactMap(\.target.ipv4), aaaa: v6.compactMap(\.target.ipv6), ttl: ttl?.ttl)
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
                    plan: stopped ? .noData : plan(forEndpoint: endpoint, ttl: ttl, into: &sets))
                for code in endpoint.geoMapping { table[code.uppercased()] = choice }
            }
            return .geographic(profile: profile.name, table)
        case .subnet:
            return subnetPlan(
                profile, eligible: eligible, available: Set(available), statuses: statuses, ttl: ttl, into: &sets)
        }
    }

    /// A range whose endpoint is unavailable answers the fallback (the first eligible endpoint without ranges)
    /// instead, when the fallback is available.
    private mutating func subnetPlan(
        _ profile: Profile, eligible: [Int], available: Set<Int>, statuses: [MonitorStatus], ttl: AdaptiveTTL?,
        into sets: inout AnswerSetCollector
    ) -> RoutePlan {
        let fallbackPosition = eligible.first { profile.endpoints[$0].subnets.isEmpty }
        let fallback = fallbackPosition.map { position in
            RoutePlan.SubnetFallback(
                endpoint: profile.endpoints[position].id,
                plan: plan(forEndpoint: profile.endpoints[position], ttl: ttl, into: &sets))
        }
        let fallbackAvailable = fallbackPosition.map(available.contains) ?? false
        var choices: [RoutePlan.SubnetChoice] = []
        for position in eligible where !profile.endpoints[position].subnets.isEmpty {
            let endpoint = profile.endpoints[position]
            let usesFallback = !available.contains(position) && fallbackAvailable
            let next: RoutePlan
            if usesFallback, let fallbackPosition, let ttl,
                let recovery = recovery(of: endpoint, status: statuses[position])
            {
                // The range fails over to the fallback until its own endpoint could be Online again.
                next = plan(
                    forEndpoint: profile.endpoints[fallbackPosition], ttl: ttl.lowered(to: recovery), into: &sets)
            } else {
                next = usesFallback ? fallback!.plan : plan(forEndpoint: endpoint, ttl: ttl, into: &sets)
            }
            choices += endpoint.subnets.map {
                RoutePlan.SubnetChoice(range: $0, endpoint: endpoint.id, usesFallback: usesFallback, plan: next)
            }
        }
        choices.sort { $0.range.first < $1.range.first }
        return .subnet(profile: profile.name, choices, fallback: fallback)
    }

    /// Nested endpoints are followed to their leaves, so the answer is always the leaf endpoint's record, never a
    /// chain through the child's name.
    private mutating func plan(
        forEndpoint endpoint: Endpoint, ttl: AdaptiveTTL?, into sets: inout AnswerSetCollector
    ) -> RoutePlan {
        guard let nested = endpoint.nested else {
            let ttl = ttl?.lowered(to: failure(of: endpoint))
            return .answer(sets.index(of: AnswerSet(endpoint: endpoint, ttl: ttl?.ttl)))
        }
        guard let child = profiles.index(named: nested.profile) else { return .noData }
        return plan(for: child, ttl: ttl, into: &sets)
    }

    /// Seconds until an answered leaf endpoint could be declared Degraded: known once it has failed a probe since
    /// its last success. Nil for an endpoint no probe can take down (an operator's override, alwaysServe) and for
    /// one already Degraded (answered only when failing open, or as a Geographic match).
    private func failure(of endpoint: Endpoint) -> Double? {
        guard health.overrides[endpoint.id] == nil, !endpoint.alwaysServe, health[endpoint.id].isServable else {
            return nil
        }
        return health.verdictMayChangeIn[endpoint.id]
    }

    /// Seconds until an endpoint that is Degraded could be Online again; for a nested one, the soonest of its
    /// child's endpoints, since one of them has to recover first. Nil for an endpoint no probe can bring back (an
    /// operator's override, Disabled, Stopped).
    private mutating func recovery(of endpoint: Endpoint, status: MonitorStatus) -> Double? {
        guard status == .degraded, health.overrides[endpoint.id] == nil else { return nil }
        guard let nested = endpoint.nested else { return health.verdictMayChangeIn[endpoint.id] }
        guard let child = profiles.index(named: nested.profile) else { return nil }
        let childStatuses = statuses(of: child)
        return zip(profiles[child].endpoints, childStatuses).compactMap { recovery(of: $0, status: $1) }.min()
    }

    /// `ttl` lowered to the soonest time any of these Degraded endpoints (by position in `profile`) could be
    /// Online again: the endpoints an answer fails over from, or every other one when failing open.
    private mutating func lowered(
        _ ttl: AdaptiveTTL?, untilRecoveryOf positions: ArraySlice<Int>, in profile: Profile,
        _ statuses: [MonitorStatus]
    ) -> AdaptiveTTL? {
        guard var ttl else { return nil }
        for position in positions {
            ttl = ttl.lowered(to: recovery(of: profile.endpoints[position], status: statuses[position]))
        }
        return ttl
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
