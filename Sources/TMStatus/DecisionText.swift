import TMRouting

/// A decision in words, for the log's "profile answer" lines and for status: the one formatting of `Reason`.
public enum DecisionText {
    /// Every step, the profile's own first, nested ones named by their profile: `geo US-NY via subnets /24 (ECS)
    /// > svc-east: primary`.
    public static func reason(_ decision: Decision, method: RoutingMethod, in profiles: ProfileSet) -> String {
        var parts = decision.steps.enumerated().map { index, step in
            index == 0 ? describe(step.reason, in: profiles) : "\(step.profile): \(describe(step.reason, in: profiles))"
        }
        if decision.isPerQuery {
            parts.append("chosen per query (\(decision.steps.isEmpty ? method.rawValue : "nested"))")
        }
        return parts.joined(separator: " > ")
    }

    /// The endpoint a decision hands out, by name: `none` for NODATA, `per-query` when it depends on the client,
    /// every name for a MultiValue set.
    public static func answer(_ decision: Decision, in profiles: ProfileSet) -> String {
        if decision.isPerQuery { return "per-query" }
        if case .multiValue(let endpoints, _) = decision.steps.last?.reason {
            return endpoints.map { name(of: $0, in: profiles) }.joined(separator: ",")
        }
        return decision.steps.last?.reason.endpoint.map { name(of: $0, in: profiles) } ?? "none"
    }

    public static func describe(_ reason: Reason, in profiles: ProfileSet) -> String {
        switch reason {
        case .primary:
            return "primary"
        case .failover(_, let from, let status):
            return "failover from \(name(of: from, in: profiles)) (\(status.rawValue))"
        case .failOpen:
            return "fail-open"
        case .geographic(_, let code, let location):
            return "geo \(code) via \(location.source.rawValue)" + (location.prefixLength.map { " /\($0)" } ?? "")
                + " (\(location.address == .ecs ? "ECS" : "resolver"))"
        case .subnet(_, let range):
            return "subnet \(range)"
        case .subnetFallback:
            return "subnet fallback"
        case .weighted(_, let weight, let total, let failOpen):
            return "weighted \(weight)/\(total)" + (failOpen ? " fail-open" : "")
        case .multiValue(let endpoints, let failOpen):
            return "multivalue \(endpoints.count)" + (failOpen ? " fail-open" : "")
        case .stopped(let endpoint):
            return "stopped \(name(of: endpoint, in: profiles))"
        case .noMatch(let location):
            return location.map { "geo no-match via \($0.source.rawValue)" } ?? "subnet no-match"
        case .noEndpoints:
            return "no enabled endpoint"
        case .profileDisabled:
            return "profile disabled"
        }
    }

    static func name(of endpoint: Int, in profiles: ProfileSet) -> String {
        profiles.endpoint(endpoint)?.endpoint.name ?? "#\(endpoint)"
    }
}
