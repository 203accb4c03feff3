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
        /// Probe counts for metrics; nil until the first result.
        var tally: ProbeTally?

        /// Whether anything is known: a result of this run, or a restored verdict.
        var isKnown: Bool { state.lastResult != nil || restored }
    }

    struct Schedule {
        var endpointIDs: [Int]
        var nextDue: Double
        var inFlight = false
        /// Still waiting for its first result (for readiness).
        var awaitingFirst = true
    }

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

    private(set) var endpoints: [Entry] = []
    private(set) var schedules: [ProbeSpec: Schedule] = [:]
    /// Every schedule not in flight, by its next start.
    private var waiting = DueQueue()

    var health: HealthVector { HealthVector(verdicts: endpoints.map(\.state.verdict)) }

    var firstRoundComplete: Bool { !schedules.values.contains { $0.awaitingFirst } }

    /// Takes a new configuration. Endpoints whose probe is unchanged (same profile, name and spec) keep their state;
    /// others are restored from `saved` (an earlier run's, with `since` converted by `monotonicSince`) when their
    /// probe is identical there, or start over as checking; both are due at once. Probes nobody needs are dropped.
    mutating func configure(
        _ profiles: [Profile], now: Double, restoring saved: [SavedHealth] = [],
        monotonicSince: (Date) -> Double = { _ in 0 }
    ) {
        var restorable: [String: SavedHealth] = [:]
        for entry in saved where entry.status.isProbeVerdict {
            restorable[Self.key(entry.profile, entry.endpoint)] = entry
        }
        var previous: [String: Entry] = [:]
        for record in endpoints { previous[Self.key(record.profile, record.endpoint)] = record }
        let oldSchedules = schedules
        endpoints = []
        schedules = [:]
        for profile in profiles {
            for endpoint in profile.endpoints.sorted(by: { $0.id < $1.id }) {
                let spec =
                    ProbeSpec.isProbed(endpoint, in: profile)
                    ? ProbeSpec(profile: profile, endpoint: endpoint)
                    : nil
                let tolerated = profile.monitor.toleratedFailures
                let required = profile.monitor.requiredSuccesses
                var record = Entry(
                    profile: profile.name, endpoint: endpoint.name, target: endpoint.target, spec: spec,
                    state: MonitorState(toleratedFailures: tolerated, requiredSuccesses: required), since: now)
                if let old = previous[Self.key(profile.name, endpoint.name)], old.spec == spec, spec != nil {
                    record.state = old.state.retuned(toleratedFailures: tolerated, requiredSuccesses: required)
                    record.since = old.since
                    record.restored = old.restored
                    record.tally = old.tally
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
                            Schedule(endpointIDs: [], nextDue: $0.nextDue, inFlight: $0.inFlight, awaitingFirst: false)
                        } ?? Schedule(endpointIDs: [], nextDue: now)
                    ].endpointIDs.append(endpoint.id)
                }
            }
        }
        waiting.removeAll()
        for (spec, schedule) in schedules where !schedule.inFlight { waiting.push(spec, due: schedule.nextDue) }
    }

    /// Probes due now, marked in flight, with their next time set one interval (shortened by `jitter`, 0..<1, up
    /// to 10 %) after this start, so that probes spread out without ever exceeding their interval.
    /// At most `limit` of them, so that a large first round cannot exhaust file descriptors.
    mutating func takeDue(now: Double, limit: Int = .max, jitter: () -> Double) -> [ProbeSpec] {
        var due: [ProbeSpec] = []
        while due.count < limit, let spec = waiting.popDue(now: now) {
            schedules[spec]?.inFlight = true
            schedules[spec]?.nextDue = now + spec.interval * (1 - 0.1 * jitter())
            due.append(spec)
        }
        return due
    }

    /// The earliest time a probe that is not in flight falls due.
    var nextDue: Double? { waiting.earliest }

    /// Applies a result to every endpoint sharing the probe; returns the status changes.
    mutating func record(_ result: ProbeResult, for spec: ProbeSpec, now: Double) -> [Transition] {
        guard var schedule = schedules[spec] else { return [] }
        if schedule.inFlight { waiting.push(spec, due: schedule.nextDue) }
        schedule.inFlight = false
        schedule.awaitingFirst = false
        schedules[spec] = schedule
        var transitions: [Transition] = []
        for id in schedule.endpointIDs {
            let old = endpoints[id].state.record(result)
            endpoints[id].tally = endpoints[id].tally ?? ProbeTally()
            endpoints[id].tally?.record(result, changedStatus: old != nil)
            if let old {
                endpoints[id].since = now
                let record = endpoints[id]
                transitions.append(
                    Transition(
                        profile: record.profile, endpoint: record.endpoint, target: record.target,
                        id: id, old: old, new: record.state.verdict, result: result))
            }
        }
        return transitions
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
