import Foundation
import TMRouting

/// The monitor's whole state: one entry per endpoint (indexed by `Endpoint.id`) and one schedule per distinct
/// probe. A value type, so that the rules for reconfiguring and recording are testable without threads or curl.
/// Times are monotonic seconds.
struct MonitorTable {
    struct Entry {
        let profile: String
        let endpoint: String
        let target: EndpointTarget
        /// Nil for endpoints that are not probed (disabled, inactive, alwaysServe).
        let spec: ProbeSpec?
        var state: MonitorState
        var since: Double
        /// The state came from an earlier run's state file.
        var restored = false

        /// Whether anything is known: a result of this run, or a restored verdict.
        var isKnown: Bool { state.lastResult != nil || restored }
    }

    struct Schedule {
        var endpointIDs: [Int]
        var nextDue: Double
        var inFlight = false
        /// Still waiting for its first result (for readiness).
        var awaitingFirst = true
        /// What this probe's results were, for metrics: kept per probe, not per endpoint, so that the 200,000
        /// unprobed endpoints of a large configuration cost nothing.
        var tally = ProbeTally()
    }

    /// Probe counts by endpoint id, for every probed endpoint: its probe's tally, with its own verdict changes.
    var tallies: [Int: ProbeTally] {
        var tallies: [Int: ProbeTally] = [:]
        for schedule in schedules.values {
            for id in schedule.endpointIDs {
                var tally = schedule.tally
                tally.statusChanges = statusChanges[Self.key(endpoints[id].profile, endpoints[id].endpoint)] ?? 0
                tallies[id] = tally
            }
        }
        return tallies
    }

    /// Verdict changes by endpoint (profile and endpoint name), for metrics; only endpoints that changed are here.
    private(set) var statusChanges: [String: UInt64] = [:]

    /// One endpoint's status change, for the log.
    struct Transition: Equatable {
        let profile: String
        let endpoint: String
        let target: EndpointTarget
        let id: Int
        let old: MonitorStatus
        let new: MonitorStatus
        let result: ProbeResult
    }

    /// What recording one result changed: status changes (logged), and endpoints whose way to their next verdict
    /// moved without a change of status, for answers with an adaptive TTL (reported, not logged).
    struct Recorded {
        var transitions: [Transition] = []
        var progressed: [Int] = []

        mutating func append(_ other: Recorded) {
            transitions += other.transitions
            progressed += other.progressed
        }
    }

    /// The most a probe's interval is shortened by to spread probes out.
    static let maxJitter = 0.1

    private(set) var endpoints: [Entry] = []
    /// By endpoint id: whether an answer with an adaptive TTL depends on it (its profile, or one nesting it, has
    /// `adaptiveTTL`). Only these report progress without a status change, so that probing thousands of endpoints
    /// of other profiles republishes nothing unless a verdict changes.
    private var adaptive: [Bool] = []
    private var adaptiveIDs: [Int] = []
    private(set) var schedules: [ProbeSpec: Schedule] = [:]
    /// Every schedule not in flight, by its next start.
    private var waiting = DueQueue()

    /// The verdicts, and for endpoints of adaptive-TTL answers on their way to another verdict, the seconds from
    /// `now` until it could come at the earliest: until their next probe starts (a refused connection fails at
    /// once; at once too while a probe runs), plus an interval, as short as jitter can make it, for each further
    /// result needed.
    func health(now: Double) -> HealthVector {
        var health = HealthVector(verdicts: endpoints.map(\.state.verdict))
        for id in adaptiveIDs {
            guard let spec = endpoints[id].spec, let results = endpoints[id].state.resultsUntilChange,
                let schedule = schedules[spec]
            else { continue }
            let next = schedule.inFlight ? 0 : max(0, schedule.nextDue - now)
            health.verdictMayChangeIn[id] = next + Double(results - 1) * spec.interval * (1 - Self.maxJitter)
        }
        return health
    }

    var firstRoundComplete: Bool { !schedules.values.contains { $0.awaitingFirst } }

    /// Takes a new configuration. Endpoints whose probe is unchanged (same profile, name and spec) keep their state;
    /// others are restored from `saved` (an earlier run's, with `since` converted by `monotonicSince`) when their
    /// probe is identical there, or start over as checking; both are due at once. Probes nobody needs are dropped.
    mutating func configure(
        _ profiles: [Profile], now: Double, restoring saved: [SavedHealth] = [],
        sourceAddresses: [IPAddress] = [], monotonicSince: (Date) -> Double = { _ in 0 }
    ) {
        var restorable: [String: SavedHealth] = [:]
        for entry in saved where entry.status.isProbeVerdict {
            restorable[Self.key(entry.profile, entry.endpoint)] = entry
        }
        let old = endpoints
        // A reload mostly keeps endpoints where they were: the same id is tried first, and the table by name is
        // built only when an endpoint moved (saving most of a reload's work at 200,000 endpoints).
        var byName: [String: Entry]?
        func previous(_ id: Int, _ profile: String, _ endpoint: String) -> Entry? {
            if id < old.count, old[id].profile == profile, old[id].endpoint == endpoint { return old[id] }
            if byName == nil {
                var table: [String: Entry] = [:]
                table.reserveCapacity(old.count)
                for record in old { table[Self.key(record.profile, record.endpoint)] = record }
                byName = table
            }
            return byName?[Self.key(profile, endpoint)]
        }
        let oldSchedules = schedules
        endpoints = []
        endpoints.reserveCapacity(old.count)
        schedules = [:]
        for profile in profiles {
            for endpoint in profile.endpoints.sorted(by: { $0.id < $1.id }) {
                let spec =
                    ProbeSpec.isProbed(endpoint, in: profile)
                    ? ProbeSpec(profile: profile, endpoint: endpoint, sourceAddresses: sourceAddresses)
                    : nil
                let tolerated = profile.monitor.toleratedFailures
                let required = profile.monitor.requiredSuccesses
                var record = Entry(
                    profile: profile.name, endpoint: endpoint.name, target: endpoint.target, spec: spec,
                    state: MonitorState(toleratedFailures: tolerated, requiredSuccesses: required), since: now)
                if let old = previous(endpoint.id, profile.name, endpoint.name), old.spec == spec, spec != nil {
                    record.state = old.state.retuned(toleratedFailures: tolerated, requiredSuccesses: required)
                    record.since = old.since
                    record.restored = old.restored
                } else if let spec, let restored = restorable[Self.key(profile.name, endpoint.name)],
                    restored.fingerprint == Self.fingerprint(spec, tolerated: tolerated, required: required)
                {
                    record.state = MonitorState(
                        toleratedFailures: tolerated, requiredSuccesses: required, verdict: restored.status,
                        consecutiveFailures: restored.consecutiveFailures,
                        consecutiveSuccesses: restored.consecutiveSuccesses)
                    record.since = monotonicSince(restored.since)
                    record.restored = true
                }
                precondition(endpoints.count == endpoint.id, "endpoint ids must run 0..<count in profile order")
                endpoints.append(record)
                if let spec {
                    schedules[
                        spec,
                        default: oldSchedules[spec].map {
                            Schedule(
                                endpointIDs: [], nextDue: $0.nextDue, inFlight: $0.inFlight, awaitingFirst: false,
                                tally: $0.tally)
                        } ?? Schedule(endpointIDs: [], nextDue: now)
                    ].endpointIDs.append(endpoint.id)
                }
            }
        }
        if !statusChanges.isEmpty {
            let live = Set(endpoints.filter { $0.spec != nil }.map { Self.key($0.profile, $0.endpoint) })
            statusChanges = statusChanges.filter { live.contains($0.key) }
        }
        waiting.removeAll()
        for (spec, schedule) in schedules where !schedule.inFlight { waiting.push(spec, due: schedule.nextDue) }
        markAdaptive(profiles)
    }

    private mutating func markAdaptive(_ profiles: [Profile]) {
        adaptive = Array(repeating: false, count: endpoints.count)
        if profiles.contains(where: \.adaptiveTTL) {
            let set = ProfileSet(profiles)
            for index in set.profiles.indices where set[index].adaptiveTTL {
                for reached in set.reachable(from: index) {
                    for endpoint in set[reached].endpoints { adaptive[endpoint.id] = true }
                }
            }
        }
        adaptiveIDs = adaptive.indices.filter { adaptive[$0] }
    }

    /// Probes due now, marked in flight, with their next time set one interval (shortened by `jitter`, 0..<1, up
    /// to `maxJitter`) after this start, so that probes spread out without ever exceeding their interval.
    /// At most `limit` of them, so that a large first round cannot exhaust file descriptors.
    mutating func takeDue(now: Double, limit: Int = .max, jitter: () -> Double) -> [ProbeSpec] {
        var due: [ProbeSpec] = []
        while due.count < limit, let spec = waiting.popDue(now: now) {
            schedules[spec]?.inFlight = true
            schedules[spec]?.nextDue = now + spec.interval * (1 - Self.maxJitter * jitter())
            due.append(spec)
        }
        return due
    }

    /// The earliest time a probe that is not in flight falls due.
    var nextDue: Double? { waiting.earliest }

    /// Applies a result to every endpoint sharing the probe.
    mutating func record(_ result: ProbeResult, for spec: ProbeSpec, now: Double) -> Recorded {
        guard var schedule = schedules[spec] else { return Recorded() }
        if schedule.inFlight { waiting.push(spec, due: schedule.nextDue) }
        schedule.inFlight = false
        schedule.awaitingFirst = false
        schedule.tally.record(result)
        schedules[spec] = schedule
        var recorded = Recorded()
        for id in schedule.endpointIDs {
            let before = adaptive[id] ? endpoints[id].state.resultsUntilChange : nil
            let old = endpoints[id].state.record(result)
            if let old {
                statusChanges[Self.key(endpoints[id].profile, endpoints[id].endpoint), default: 0] += 1
                endpoints[id].since = now
                let record = endpoints[id]
                recorded.transitions.append(
                    Transition(
                        profile: record.profile, endpoint: record.endpoint, target: record.target,
                        id: id, old: old, new: record.state.verdict, result: result))
            } else if adaptive[id], endpoints[id].state.resultsUntilChange != before {
                recorded.progressed.append(id)
            }
        }
        return recorded
    }

    static func key(_ profile: String, _ endpoint: String) -> String {
        "\(profile.lowercased())\u{0}\(endpoint.lowercased())"
    }

    /// Target and monitor settings as one string: a saved status is only trusted for an identical probe.
    static func fingerprint(_ spec: ProbeSpec, tolerated: Int, required: Int) -> String {
        let headers = spec.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
        let expected = spec.expectedStatusCodes.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
        var parts = [
            spec.probeProtocol.rawValue, spec.url, headers, expected, "\(spec.interval)", "\(spec.timeout)",
            "\(spec.verifyCertificate)", "\(tolerated)",
        ]
        // Later settings are added only when they differ from their defaults, so that state files written before
        // they existed still match the probes they describe.
        if required != 1 { parts.append("successes=\(required)") }
        if let body = spec.expectedBody { parts.append("body=\(body)") }
        for source in [spec.sourceV4, spec.sourceV6].compactMap(\.self) { parts.append("source=\(source)") }
        return parts.joined(separator: "|")
    }

    /// What to save: every probed endpoint's verdict, fingerprinted, with `since` as wall-clock time.
    func saved(wallTime: (Double) -> Date) -> [SavedHealth] {
        endpoints.compactMap { record in
            guard let spec = record.spec else { return nil }
            return SavedHealth(
                profile: record.profile, endpoint: record.endpoint,
                fingerprint: Self.fingerprint(
                    spec, tolerated: record.state.toleratedFailures, required: record.state.requiredSuccesses),
                status: record.state.verdict, consecutiveFailures: record.state.consecutiveFailures,
                consecutiveSuccesses: record.state.consecutiveSuccesses, since: wallTime(record.since))
        }
    }
}
