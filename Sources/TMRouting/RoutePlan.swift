/// How a profile name is answered, prepared whenever configuration or health changes: a tree whose inner nodes
/// record a choice made when it was built, or choose by client location, client subnet or weight, and whose leaves
/// index the profile's answer sets. Selecting from it is the only routing decision there is: per query a few
/// comparisons; everything else was decided when it was built.
public enum RoutePlan: Hashable, Sendable {
    /// No data: NODATA for the name (the step above says why).
    case noData
    case answer(Int)
    /// A choice that does not depend on the client (Priority, MultiValue, and every NODATA reason), then the rest.
    indirect case chose(Step, then: RoutePlan)
    /// Geographic: the first of the client's codes (most specific first) that the table holds.
    case geographic(profile: String, [String: GeographicChoice])
    /// Subnet: ranges in order, then the fallback.
    indirect case subnet(profile: String, [SubnetChoice], fallback: SubnetFallback?)
    /// Weighted: chosen at random by weight.
    case weighted(profile: String, [WeightedChoice], failOpen: Bool)

    public struct GeographicChoice: Hashable, Sendable {
        public let endpoint: Int
        /// A nested endpoint whose child is Stopped: the match answers NODATA, without walking further up.
        public let isStopped: Bool
        public let plan: RoutePlan
    }

    public struct SubnetChoice: Hashable, Sendable {
        public let range: SubnetRange
        /// The range's own endpoint; the plan is the fallback's when that endpoint is unavailable.
        public let endpoint: Int
        public let usesFallback: Bool
        public let plan: RoutePlan
    }

    public struct SubnetFallback: Hashable, Sendable {
        public let endpoint: Int
        public let plan: RoutePlan
    }

    public struct WeightedChoice: Hashable, Sendable {
        public let endpoint: Int
        public let weight: Int
        public let plan: RoutePlan
    }
}

extension RoutePlan {
    /// The answer set for this client, or nil for NODATA. `random` is in 0..<1. With an explaining client, every
    /// level's step is recorded in `client.steps`.
    public func select(for client: inout ClientQuery, random: () -> Double) -> Int? {
        switch self {
        case .noData:
            return nil
        case .answer(let index):
            return index
        case .chose(let step, let next):
            client.note(step)
            return next.select(for: &client, random: random)
        case .geographic(let profile, let table):
            let location = client.location()
            let origin = client.origin
            // Made only when the steps are recorded: the query path builds none.
            func evidence() -> LocationEvidence {
                LocationEvidence(address: origin, source: location.source, prefixLength: location.prefixLength)
            }
            var match: (code: String, choice: GeographicChoice)?
            for code in location.codes {
                if let choice = table[code] {
                    match = (code, choice)
                    break
                }
            }
            guard let (code, choice) = match else {
                client.depend(on: nil)
                client.note(Step(profile: profile, reason: .noMatch(location: evidence())))
                return nil
            }
            // WORLD matches everyone: no single table entry decided, so the source prefix is the scope.
            client.depend(on: code == "WORLD" ? nil : location.prefixLength)
            if choice.isStopped {
                client.note(Step(profile: profile, reason: .stopped(endpoint: choice.endpoint)))
                return nil
            }
            client.note(
                Step(
                    profile: profile,
                    reason: .geographic(endpoint: choice.endpoint, code: code, location: evidence())))
            return choice.plan.select(for: &client, random: random)
        case .subnet(let profile, let choices, let fallback):
            if let choice = choices.first(where: { $0.range.contains(client.address) }) {
                client.depend(on: choice.range.prefixLength)
                if choice.usesFallback, let fallback {
                    client.note(Step(profile: profile, reason: .subnetFallback(endpoint: fallback.endpoint)))
                } else {
                    client.note(Step(profile: profile, reason: .subnet(endpoint: choice.endpoint, range: choice.range)))
                }
                return choice.plan.select(for: &client, random: random)
            }
            client.depend(on: nil)
            guard let fallback else {
                client.note(Step(profile: profile, reason: .noMatch(location: nil)))
                return nil
            }
            client.note(Step(profile: profile, reason: .subnetFallback(endpoint: fallback.endpoint)))
            return fallback.plan.select(for: &client, random: random)
        case .weighted(let profile, let choices, let failOpen):
            var total = 0
            for choice in choices { total += choice.weight }
            var point = random() * Double(total)
            for index in choices.indices {
                let choice = choices[index]
                point -= Double(choice.weight)
                if point < 0 || index == choices.count - 1 {
                    client.note(
                        Step(
                            profile: profile,
                            reason: .weighted(
                                endpoint: choice.endpoint, weight: choice.weight, totalWeight: total, failOpen: failOpen
                            )))
                    return choice.plan.select(for: &client, random: random)
                }
            }
            return nil
        }
    }

    /// The decision for this client, every level's step included (for explanations: not the query path).
    public func decision(for client: ClientQuery, random: () -> Double) -> (decision: Decision, scope: Int?) {
        var client = client.recordingSteps()
        let answer = select(for: &client, random: random)
        return (Decision(steps: client.steps, answer: answer), client.scopePrefixLength)
    }

    /// The decision without a client: every choice made when the plan was built, down to the answer or to the
    /// first choice made per query.
    public var decision: Decision {
        var steps: [Step] = []
        var plan = self
        while true {
            switch plan {
            case .noData:
                return Decision(steps: steps, answer: nil)
            case .answer(let index):
                return Decision(steps: steps, answer: index)
            case .chose(let step, let next):
                steps.append(step)
                plan = next
            case .geographic, .subnet, .weighted:
                return Decision(steps: steps, answer: nil, isPerQuery: true)
            }
        }
    }
}
