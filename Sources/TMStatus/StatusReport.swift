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

/// A fleet server's part of the zone status line.
public struct FleetStatus: Sendable, Equatable {
    /// The etcd revision of the configuration that serves; nil: the local files (nothing published yet).
    public var configRevision: Int64?
    /// A newer revision that was refused, while no later one was applied.
    public var refusedRevision: Int64?
    public var isConnected: Bool
    public var since: Date
    /// Live vantage points, this one included.
    public var vantagePoints: Int

    public init(
        configRevision: Int64?, refusedRevision: Int64?, isConnected: Bool, since: Date, vantagePoints: Int
    ) {
        self.configRevision = configRevision
        self.refusedRevision = refusedRevision
        self.isConnected = isConnected
        self.since = since
        self.vantagePoints = vantagePoints
    }

    /// ` config=42 fleet=ok since=... vantage=3`, and ` refused=43` while a newer revision is refused.
    var words: String {
        " config=\(configRevision.map(String.init) ?? "local") fleet=\(isConnected ? "ok" : "local-only") "
            + "since=\(StatusReport.timestamp(since)) vantage=\(vantagePoints)"
            + (refusedRevision.map { " refused=\($0)" } ?? "")
    }
}

/// Everything a status report is made from, gathered at one moment. Per-endpoint facts are looked up by id, so
/// that a profile's report costs what its endpoints cost, however many other profiles there are.
public struct StatusInput: Sendable {
    public var zone: DomainName
    /// The routing that serves: every line about an answer or a status reads it.
    public var routing: RoutingTable
    /// An endpoint's monitor history, by endpoint id.
    public var endpointHealth: @Sendable (Int) -> EndpointHealth?
    /// Answers that handed out an endpoint, by endpoint id.
    public var answered: @Sendable (Int) -> UInt64
    /// Counts configurations: 0 for the one the server started with, one more per reload that took effect.
    public var generation: Int
    public var started: Date
    public var lastReload: ReloadRecord?
    /// Why the state file cannot be written, while it cannot: `reason` follows `path` in a sentence.
    public var stateFileProblem: (path: String, reason: String)?
    /// Responses rate limiting dropped and sent truncated since the start; nil while it is off.
    public var rateLimited: (dropped: UInt64, slipped: UInt64)?
    /// For a server of a fleet: the revision it serves and its link to etcd; nil without a fleet.
    public var fleet: FleetStatus?
    /// For a server of a fleet: every live vantage point's verdict on a probed endpoint (this server's included),
    /// by endpoint id, sorted by instance name; nil for an endpoint nobody probes.
    public var vantage: @Sendable (Int) -> [(instance: String, verdict: MonitorStatus)]? = { _ in nil }

    public init(
        zone: DomainName, routing: RoutingTable,
        endpointHealth: @escaping @Sendable (Int) -> EndpointHealth? = { _ in nil },
        answered: @escaping @Sendable (Int) -> UInt64 = { _ in 0 }, generation: Int = 0, started: Date,
        lastReload: ReloadRecord?, stateFileProblem: (path: String, reason: String)? = nil,
        rateLimited: (dropped: UInt64, slipped: UInt64)? = nil
    ) {
        self.zone = zone
        self.routing = routing
        self.endpointHealth = endpointHealth
        self.answered = answered
        self.generation = generation
        self.started = started
        self.lastReload = lastReload
        self.stateFileProblem = stateFileProblem
        self.rateLimited = rateLimited
    }
}

/// Status as TXT strings (one per record, each at most 255 bytes): a pure function of `StatusInput`.
public enum StatusReport {
    /// What the records of one status answer may take, so that it fits one 65,535-byte TCP message with room for
    /// the header, a question of up to 255 bytes, and an OPT record with ECS.
    public static let answerBudget = 65_535 - 12 - 259 - 11 - 24
    /// A TXT record's cost beyond its text: a compressed owner, type, class, TTL, length, and the string's length.
    static let recordOverhead = 13

    /// For the zone name: a line with the counts by status (and, while rate limiting is on,
    /// `rrl-dropped=N rrl-slipped=N`), `state-file=error path=P reason=R` while the state file
    /// cannot be written, then the profiles that are not healthy (not Online, or
    /// failing open), then the others, in configuration order; cut to `answerBudget` with a last line
    /// `truncated=N more; ask CH TXT <profile name>`.
    public static func zone(_ input: StatusInput) -> [String] {
        let profiles = input.routing.profiles
        var counts: [ProfileStatus: Int] = [:]
        var failingOpen = 0
        var troubled: [Int] = []
        var healthy: [Int] = []
        for index in profiles.profiles.indices {
            let route = input.routing[profile: index]
            counts[route.profileStatus, default: 0] += 1
            if route.decision.failsOpen { failingOpen += 1 }
            if route.profileStatus == .online, !route.decision.failsOpen {
                healthy.append(index)
            } else {
                troubled.append(index)
            }
        }
        let reload =
            input.lastReload.map {
                "reload=\(timestamp($0.time)) \($0.succeeded ? "ok" : "failed errors=\($0.errorCount)")"
            } ?? "reload=none"
        let labels: [(ProfileStatus, String)] = [
            (.online, "online"), (.degraded, "degraded"), (.checkingEndpoints, "checking"), (.disabled, "disabled"),
            (.inactive, "inactive"),
        ]
        let byStatus = labels.map { "\($1)=\(counts[$0] ?? 0)" }.joined(separator: " ")
        let header =
            "zone=\(input.zone) profiles=\(profiles.count) \(byStatus) fail-open=\(failingOpen) "
            + "generation=\(input.generation) started=\(timestamp(input.started)) \(reload)"
            + (input.rateLimited.map { " rrl-dropped=\($0.dropped) rrl-slipped=\($0.slipped)" } ?? "")
            + (input.fleet?.words ?? "")
        // Spaces become underscores, as in every other status value, so that the line stays `key=value` words.
        let stateFile = input.stateFileProblem.map {
            "state-file=error path=\($0.path) reason=\($0.reason.replacingOccurrences(of: " ", with: "_"))"
        }
        return bounded([header] + (stateFile.map { [$0] } ?? []), then: troubled + healthy) { summary($0, input) }
    }

    /// `first`, then `line(item)` for as many items as the budget holds; when not all fit, a last line says how
    /// many were left out. Lines are only made for the items that fit.
    static func bounded(_ first: [String], then items: [Int], line: (Int) -> String) -> [String] {
        var lines = clipped(first)
        // Room is kept for the truncation line itself.
        var left = answerBudget - lines.reduce(0) { $0 + $1.utf8.count + recordOverhead } - 80
        for (position, item) in items.enumerated() {
            let text = clipped([line(item)])[0]
            left -= text.utf8.count + recordOverhead
            if left < 0 {
                lines.append("truncated=\(items.count - position) more; ask CH TXT <profile name>")
                return lines
            }
            lines.append(text)
        }
        return lines
    }

    /// For a profile name: its summary, then one line per endpoint in priority order, within `answerBudget`.
    public static func profile(_ index: Int, _ input: StatusInput) -> [String] {
        let profile = input.routing.profiles[index]
        return bounded([summary(index, input)], then: Array(profile.endpoints.indices)) {
            endpoint($0, of: index, input)
        }
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
            return clipped(lines + ["answer=\(addresses.joined(separator: ",")) \(scope)" + ttl(of: answer)])
        }
        let pick = DecisionText.describe(last.reason, in: profiles).replacingOccurrences(of: " ", with: "_")
        return clipped(
            lines + [
                "answer=\(endpoint.name) target=\(endpoint.target) profile=\(owner.name) "
                    + "pick=\(pick) \(scope)" + ttl(of: answer)
            ])
    }

    /// ` ttl=N` for an answer whose adaptive TTL is below the profile's; nothing otherwise.
    private static func ttl(of answer: AnswerSet) -> String { answer.ttl.map { " ttl=\($0)" } ?? "" }

    /// `profile=app method=Priority status=Online answer=mec-atlanta`, with `fail-open` when it applies, and the
    /// TTL when an adaptive TTL has lowered it.
    static func summary(_ index: Int, _ input: StatusInput) -> String {
        let profile = input.routing.profiles[index]
        let route = input.routing[profile: index]
        let answer = DecisionText.answer(route.decision, in: input.routing.profiles)
        var line =
            "profile=\(profile.name) method=\(profile.method.rawValue) "
            + "status=\(route.profileStatus.rawValue) answer=\(answer)"
        if route.decision.failsOpen { line += " fail-open" }
        if let answer = route.answer { line += ttl(of: answer) }
        return line
    }

    static func endpoint(_ position: Int, of index: Int, _ input: StatusInput) -> String {
        let profile = input.routing.profiles[index]
        let endpoint = profile.endpoints[position]
        let health = input.endpointHealth(endpoint.id)
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
        // Early in the line, so that the 255-byte cut takes the details rather than the fleet's verdicts.
        if let vantage = input.vantage(endpoint.id) {
            let verdicts = vantage.map { "\($0.instance):\($0.verdict.rawValue)" }.joined(separator: ",")
            fields.append("vantage=\(verdicts) fleet=\(input.routing.health[endpoint.id].rawValue)")
        }
        if let admin = input.routing.health.overrides[endpoint.id] {
            fields.append("admin=\(admin.action.rawValue) by=\(admin.by.replacingOccurrences(of: " ", with: "_"))")
            if let reason = admin.reason { fields.append("reason=\(reason.replacingOccurrences(of: " ", with: "_"))") }
            if let until = admin.until { fields.append("until=\(timestamp(until))") }
        }
        if let since = health?.since { fields.append("since=\(timestamp(since))") }
        if let last = health?.lastResult {
            fields.append("last=\(last.description.replacingOccurrences(of: " ", with: "_"))")
            fields.append(String(format: "latency=%.1fms", last.latency * 1000))
        }
        fields.append("failures=\(health?.consecutiveFailures ?? 0)")
        // How far a Degraded endpoint is on its way back, when more than one success is required.
        if let health, health.verdict == .degraded, health.requiredSuccesses > 1 {
            fields.append("successes=\(health.consecutiveSuccesses)/\(health.requiredSuccesses)")
        }
        fields.append("answered=\(input.answered(endpoint.id))")
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
