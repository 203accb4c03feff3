import Foundation
import TMRouting

/// What status needs to know about one endpoint beyond the configuration: its monitor history and answer count.
public struct EndpointRuntime: Sendable {
    public var since: Date?
    public var lastResult: String?
    public var latency: Double?
    public var consecutiveFailures: Int
    public var answered: UInt64

    public init(since: Date?, lastResult: String?, latency: Double?, consecutiveFailures: Int, answered: UInt64) {
        self.since = since
        self.lastResult = lastResult
        self.latency = latency
        self.consecutiveFailures = consecutiveFailures
        self.answered = answered
    }
}

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
    public var profiles: [Profile]
    public var health: HealthVector
    /// Indexed by endpoint id.
    public var endpoints: [EndpointRuntime]
    public var started: Date
    public var lastReload: ReloadRecord?

    public init(zone: DomainName, profiles: [Profile], health: HealthVector, endpoints: [EndpointRuntime],
                started: Date, lastReload: ReloadRecord?) {
        self.zone = zone
        self.profiles = profiles
        self.health = health
        self.endpoints = endpoints
        self.started = started
        self.lastReload = lastReload
    }
}

/// Status as TXT strings (one per record, each at most 255 bytes): a pure function of `StatusInput`.
public enum StatusReport {
    /// For the zone name: a line about the server, then one per profile.
    public static func zone(_ input: StatusInput) -> [String] {
        let reload = input.lastReload.map {
            "reload=\(timestamp($0.time)) \($0.succeeded ? "ok" : "failed errors=\($0.errorCount)")"
        } ?? "reload=none"
        let header = "zone=\(input.zone) profiles=\(input.profiles.count) started=\(timestamp(input.started)) \(reload)"
        return clipped([header] + input.profiles.map { summary($0, input) })
    }

    /// For a profile name: its summary, then one line per endpoint in priority order.
    public static func profile(_ profile: Profile, _ input: StatusInput) -> [String] {
        clipped([summary(profile, input)] + profile.endpoints.map { endpoint(profile, $0, input) })
    }

    /// `profile=app method=Priority status=Online answer=mec-atlanta`, with `fail-open` when it applies.
    static func summary(_ profile: Profile, _ input: StatusInput) -> String {
        let decision = Router.decide(profile, set: ProfileSet(input.profiles), health: input.health)
        let answer = decision.reason == .perQuery ? "per-query" : decision.endpoint?.name ?? "none"
        var line = "profile=\(profile.name) method=\(profile.method.rawValue) "
            + "status=\(profileStatus(profile, input)) answer=\(answer)"
        if decision.reason == .failOpen { line += " fail-open" }
        return line
    }

    static func endpoint(_ profile: Profile, _ endpoint: Endpoint, _ input: StatusInput) -> String {
        let runtime = endpoint.id < input.endpoints.count ? input.endpoints[endpoint.id] : nil
        var fields = ["endpoint=\(endpoint.name)"]
        switch profile.method {
        case .priority, .performance: fields.append("priority=\(endpoint.priority)")
        case .weighted: fields.append("weight=\(endpoint.weight)")
        case .geographic: fields.append("geo=\(endpoint.geoMapping.joined(separator: ","))")
        case .subnet: fields.append("subnets=\(endpoint.subnets.map(\.description).joined(separator: ","))")
        case .multiValue: break
        }
        fields.append(endpoint.nested.map { "child=\($0.profile)" } ?? "target=\(endpoint.target)")
        fields.append("status=\(Router.status(of: endpoint, in: profile, set: ProfileSet(input.profiles), health: input.health).rawValue)")
        if let since = runtime?.since { fields.append("since=\(timestamp(since))") }
        if let last = runtime?.lastResult {
            fields.append("last=\(last.replacingOccurrences(of: " ", with: "_"))")
            if let latency = runtime?.latency { fields.append(String(format: "latency=%.1fms", latency * 1000)) }
        }
        fields.append("failures=\(runtime?.consecutiveFailures ?? 0)")
        fields.append("answered=\(runtime?.answered ?? 0)")
        return fields.joined(separator: " ")
    }

    /// Azure's profile monitor status.
    public static func profileStatus(_ profile: Profile, _ input: StatusInput) -> String {
        guard profile.isEnabled else { return "Disabled" }
        let set = ProfileSet(input.profiles)
        let statuses = profile.endpoints.map { Router.status(of: $0, in: profile, set: set, health: input.health) }
        if statuses.contains(.degraded) { return "Degraded" }
        if statuses.contains(where: { $0 == .online || $0 == .unmonitored }) { return "Online" }
        if statuses.contains(.checkingEndpoint) { return "CheckingEndpoints" }
        return "Inactive"
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    /// A TXT string holds at most 255 bytes.
    static func clipped(_ lines: [String]) -> [String] {
        lines.map { $0.utf8.count <= 255 ? $0 : String(decoding: Array($0.utf8.prefix(255)), as: UTF8.self) }
    }
}
