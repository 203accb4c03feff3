import Foundation
import TMHealth
import TMRouting

/// The outcome of the last reload.
public struct ReloadRecord: Sendable {
    public let time: Date
    public let succeeded: Bool
    public let errorCount: Int

    public init(time: Date, succeeded: Bool, errorCount: Int) {
        self.time = time
        self.succeeded = succeeded
        self.errorCount = errorCount
    }
}

/// Everything a status report is made from, gathered at one moment.
public struct StatusInput: Sendable {
    public var zone: DomainName
    /// The routing that serves: every line about an answer or a status reads it.
    public var routing: RoutingTable
    /// Monitor histories, by endpoint id.
    public var endpoints: [EndpointHealth]
    /// Answers that handed out each endpoint, by endpoint id.
    public var answered: [UInt64]
    public var started: Date
    public var lastReload: ReloadRecord?

    public init(
        zone: DomainName, routing: RoutingTable, endpoints: [EndpointHealth], answered: [UInt64],
        started: Date, lastReload: ReloadRecord?
    ) {
        self.zone = zone
        self.routing = routing
        self.endpoints = endpoints
        self.answered = answered
        self.started = started
        self.lastReload = lastReload
    }
}

/// Status as TXT strings (one per record, each at most 255 bytes): a pure function of `StatusInput`.
public enum StatusReport {
    /// For the zone name: a line about the server, then one per profile.
    public static func zone(_ input: StatusInput) -> [String] {
        let reload =
            input.lastReload.map {
                "reload=\(timestamp($0.time)) \($0.succeeded ? "ok" : "failed errors=\($0.errorCount)")"
            } ?? "reload=none"
        let profiles = input.routing.profiles
        let header = "zone=\(input.zone) profiles=\(profiles.count) started=\(timestamp(input.started)) \(reload)"
        return clipped([header] + profiles.profiles.indices.map { summary($0, input) })
    }

    /// For a profile name: its summary, then one line per endpoint in priority order.
    public static func profile(_ index: Int, _ input: StatusInput) -> [String] {
        let profile = input.routing.profiles[index]
        return clipped([summary(index, input)] + profile.endpoints.indices.map { endpoint($0, of: index, input) })
    }

    /// Why one client gets what it gets from a profile: its location and where that came from, every level's
    /// choice, and the endpoint that answers.
    public static func explanation(
        _ index: Int, for client: ClientQuery, _ input: StatusInput,
        random: () -> Double = { Double.random(in: 0..<1) }
    ) -> [String] {
        var client = client
        let profiles = input.routing.profiles
        let route = input.routing[profile: index]
        let location = client.location()
        let prefix = client.sourcePrefixLength
        var lines = [
            "client=\(client.address)/\(prefix) location=\(location.codes.joined(separator: ",")) "
                + "source=\(location.source.rawValue)" + (location.prefixLength.map { " network=/\($0)" } ?? "")
        ]
        let (decision, scopeLength) = route.plan.decision(for: client, random: random)
        let scope = "scope=\(scopeLength ?? 0)"
        let path = DecisionText.reason(decision, method: profiles[index].method, in: profiles)
        if !path.isEmpty { lines.append("path=\(path)") }
        guard let answer = decision.answer.map({ route.answerSets[$0] }) else {
            return clipped(lines + ["answer=NODATA \(scope)"])
        }
        guard let id = answer.endpointID, let (owner, endpoint) = profiles.endpoint(id), let last = decision.steps.last
        else {
            let addresses = answer.a.map(\.description) + answer.aaaa.map(\.description)
            return clipped(lines + ["answer=\(addresses.joined(separator: ",")) \(scope)"])
        }
        let pick = DecisionText.describe(last.reason, in: profiles).replacingOccurrences(of: " ", with: "_")
        return clipped(
            lines + [
                "answer=\(endpoint.name) target=\(endpoint.target) profile=\(owner.name) "
                    + "pick=\(pick) \(scope)"
            ])
    }

    /// `profile=app method=Priority status=Online answer=mec-atlanta`, with `fail-open` when it applies.
    static func summary(_ index: Int, _ input: StatusInput) -> String {
        let profile = input.routing.profiles[index]
        let route = input.routing[profile: index]
        let answer = DecisionText.answer(route.decision, in: input.routing.profiles)
        var line =
            "profile=\(profile.name) method=\(profile.method.rawValue) "
            + "status=\(route.profileStatus.rawValue) answer=\(answer)"
        if route.decision.failsOpen { line += " fail-open" }
        return line
    }

    static func endpoint(_ position: Int, of index: Int, _ input: StatusInput) -> String {
        let profile = input.routing.profiles[index]
        let endpoint = profile.endpoints[position]
        let health = endpoint.id < input.endpoints.count ? input.endpoints[endpoint.id] : nil
        var fields = ["endpoint=\(endpoint.name)"]
        switch profile.method {
        case .priority: fields.append("priority=\(endpoint.priority)")
        case .weighted: fields.append("weight=\(endpoint.weight)")
        case .geographic: fields.append("geo=\(endpoint.geoMapping.joined(separator: ","))")
        case .subnet: fields.append("subnets=\(endpoint.subnets.map(\.description).joined(separator: ","))")
        case .multiValue: break
        }
        fields.append(endpoint.nested.map { "child=\($0.profile)" } ?? "target=\(endpoint.target)")
        fields.append("status=\(input.routing[profile: index].statuses[position].rawValue)")
        if let since = health?.since { fields.append("since=\(timestamp(since))") }
        if let last = health?.lastResult {
            fields.append("last=\(last.description.replacingOccurrences(of: " ", with: "_"))")
            fields.append(String(format: "latency=%.1fms", last.latency * 1000))
        }
        fields.append("failures=\(health?.consecutiveFailures ?? 0)")
        fields.append("answered=\(endpoint.id < input.answered.count ? input.answered[endpoint.id] : 0)")
        return fields.joined(separator: " ")
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    /// A TXT string holds at most 255 bytes; the cut falls before a character that would not fit whole.
    static func clipped(_ lines: [String]) -> [String] {
        lines.map { line in
            guard line.utf8.count > 255 else { return line }
            var end = line.utf8.index(line.utf8.startIndex, offsetBy: 255)
            while end > line.startIndex, line.utf8[end] & 0xc0 == 0x80 { end = line.utf8.index(before: end) }
            return String(line.utf8[..<end])!
        }
    }
}
