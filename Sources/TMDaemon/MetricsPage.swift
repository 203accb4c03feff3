import Foundation
import TMHealth
import TMRouting
import TMStatus

/// The Prometheus text exposition (format 0.0.4) of one moment: the serving snapshot, the listeners' counts, the
/// monitor's probe tallies and the reload history. Series come from the snapshot each time, so profiles and
/// endpoints removed by a reload disappear with it. Made on the HTTP thread that serves the scrape.
struct MetricsPage {
    var snapshot: ServingSnapshot
    var queries: QueryTally
    var answers: [EndpointKey: UInt64]
    var probes: [Int: ProbeTally]
    var reloads: (succeeded: UInt64, failed: UInt64, lastSuccess: Date?)
    /// Responses rate limiting withheld: dropped, or sent truncated ("slipped").
    var rateLimited: (dropped: UInt64, slipped: UInt64)
    var started: Date
    var version: String
    /// For a server of a fleet; nil without one (and no `edgetm_fleet_` series).
    var fleet: FleetMetrics?

    /// A fleet server's link to etcd and what it wrote there.
    struct FleetMetrics {
        var status: FleetStatus
        var verdictWrites: UInt64
        var leaseRenewals: UInt64
    }

    func render() -> String {
        var page = Exposition()
        dns(&page)
        trafficManager(&page)
        if let fleet { self.fleet(fleet, &page) }
        process(&page)
        return page.text
    }

    private func fleet(_ fleet: FleetMetrics, _ page: inout Exposition) {
        page.family(
            "edgetm_fleet_connected", .gauge,
            "1 while etcd is reachable and routing uses the fleet's verdicts; 0 while only this server's own.")
        page.sample("edgetm_fleet_connected", [:], UInt64(fleet.status.isConnected ? 1 : 0))
        page.family("edgetm_fleet_vantage_points", .gauge, "Live vantage points of the fleet, this one included.")
        page.sample("edgetm_fleet_vantage_points", [:], UInt64(fleet.status.vantagePoints))
        page.family(
            "edgetm_fleet_config_revision", .gauge,
            "The etcd revision of the configuration that serves; 0 while the local files serve.")
        page.sample("edgetm_fleet_config_revision", [:], UInt64(max(0, fleet.status.configRevision ?? 0)))
        page.family(
            "edgetm_fleet_etcd_writes_total", .counter,
            "Writes to etcd: transactions of verdict changes, and lease renewals.")
        page.sample("edgetm_fleet_etcd_writes_total", ["kind": "verdicts"], fleet.verdictWrites)
        page.sample("edgetm_fleet_etcd_writes_total", ["kind": "lease_renewal"], fleet.leaseRenewals)
    }

    private func dns(_ page: inout Exposition) {
        page.family("edgetm_dns_requests_total", .counter, "DNS requests received, by transport, family and type.")
        for (transportIndex, transportName) in QueryTally.transportNames.enumerated() {
            for (familyIndex, family) in QueryTally.families.enumerated() {
                for (typeIndex, type) in QueryTally.typeNames.enumerated() {
                    let slot = QueryTally.requestSlot(
                        transportIndex: transportIndex, ipv6: familyIndex == 1, typeIndex: typeIndex)
                    page.sample(
                        "edgetm_dns_requests_total", ["proto": transportName, "family": family, "qtype": type],
                        queries.slots[slot])
                }
            }
        }
        page.family("edgetm_dns_responses_total", .counter, "DNS responses sent, by response code.")
        for (code, name) in Self.rcodeNames.enumerated() {
            page.sample("edgetm_dns_responses_total", ["rcode": name], queries.slots[QueryTally.rcodeBase + code])
        }
        page.family(
            "edgetm_dns_rate_limited_total", .counter,
            "UDP responses response rate limiting withheld: dropped, or sent truncated (slipped).")
        page.sample("edgetm_dns_rate_limited_total", ["action": "dropped"], rateLimited.dropped)
        page.sample("edgetm_dns_rate_limited_total", ["action": "slipped"], rateLimited.slipped)
        page.family("edgetm_dns_response_size_bytes", .histogram, "Size of the DNS responses sent.")
        let counts = (0...QueryTally.sizeBounds.count).map { queries.slots[QueryTally.sizeBase + $0] }
        page.histogram(
            "edgetm_dns_response_size_bytes", [:], bounds: QueryTally.sizeBounds.map(Double.init), counts: counts,
            sum: Double(queries.slots[QueryTally.sizeSumSlot]))
    }

    private func trafficManager(_ page: inout Exposition) {
        let routing = snapshot.routing
        let profiles = routing.profiles
        page.family(
            "edgetm_answers_total", .counter, "Answers that handed out an endpoint (Azure's QpsByEndpoint).")
        for key in snapshot.endpointKeys {
            page.sample(
                "edgetm_answers_total", ["profile": key.profile, "endpoint": key.endpoint], answers[key] ?? 0)
        }
        page.family("edgetm_endpoint_up", .gauge, "1 when the endpoint's monitor status lets it be answered, else 0.")
        forEachEndpoint { labels, status, _ in
            page.sample("edgetm_endpoint_up", labels, status == .online || status == .unmonitored ? UInt64(1) : 0)
        }
        page.family("edgetm_endpoint_status", .gauge, "The endpoint's monitor status, one series per status.")
        forEachEndpoint { labels, status, _ in
            for candidate in MonitorStatus.allCases {
                var labels = labels
                labels["status"] = candidate.rawValue
                page.sample("edgetm_endpoint_status", labels, candidate == status ? UInt64(1) : 0)
            }
        }
        page.family("edgetm_profile_fail_open", .gauge, "1 while the profile fails open (every endpoint Degraded).")
        for index in profiles.profiles.indices {
            page.sample(
                "edgetm_profile_fail_open", ["profile": profiles[index].name],
                routing[profile: index].decision.failsOpen ? UInt64(1) : 0)
        }
        page.family("edgetm_probes_total", .counter, "Health probes, by result (timeouts also count as failure).")
        forEachEndpoint { labels, _, id in
            guard let tally = probes[id] else { return }
            for (result, count) in [
                ("success", tally.successes), ("failure", tally.failures), ("timeout", tally.timeouts),
            ] {
                var labels = labels
                labels["result"] = result
                page.sample("edgetm_probes_total", labels, count)
            }
        }
        page.family("edgetm_probe_duration_seconds", .histogram, "How long health probes took.")
        forEachEndpoint { labels, _, id in
            guard let tally = probes[id] else { return }
            page.histogram(
                "edgetm_probe_duration_seconds", labels, bounds: ProbeTally.bucketBounds, counts: tally.buckets,
                sum: tally.durationSum)
        }
        page.family(
            "edgetm_endpoint_status_changes_total", .counter, "Changes of the monitor's verdict on the endpoint.")
        forEachEndpoint { labels, _, id in
            guard let tally = probes[id] else { return }
            page.sample("edgetm_endpoint_status_changes_total", labels, tally.statusChanges)
        }
    }

    private func process(_ page: inout Exposition) {
        page.family("edgetm_config_reloads_total", .counter, "Configuration reloads, by result.")
        page.sample("edgetm_config_reloads_total", ["result": "success"], reloads.succeeded)
        page.sample("edgetm_config_reloads_total", ["result": "failure"], reloads.failed)
        page.family(
            "edgetm_config_last_reload_success_timestamp_seconds", .gauge,
            "When the configuration was last loaded (the start, or the last reload that took effect).")
        page.sample(
            "edgetm_config_last_reload_success_timestamp_seconds", [:],
            (reloads.lastSuccess ?? started).timeIntervalSince1970)
        page.family("edgetm_build_info", .gauge, "Always 1; the version as a label.")
        page.sample("edgetm_build_info", ["version": version], UInt64(1))
        page.family("edgetm_start_time_seconds", .gauge, "When the process started, in seconds since the epoch.")
        page.sample("edgetm_start_time_seconds", [:], started.timeIntervalSince1970)
    }

    /// Every endpoint with its labels, the monitor status routing uses, and its id.
    private func forEachEndpoint(_ body: ([String: String], MonitorStatus, Int) -> Void) {
        let routing = snapshot.routing
        for (index, profile) in routing.profiles.profiles.enumerated() {
            let statuses = routing[profile: index].statuses
            for (position, endpoint) in profile.endpoints.enumerated() {
                body(["profile": profile.name, "endpoint": endpoint.name], statuses[position], endpoint.id)
            }
        }
    }

    static let rcodeNames = [
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
        "NOTZONE", "DSOTYPENI", "RESERVED12", "RESERVED13", "RESERVED14", "RESERVED15",
    ]
}

/// Builds the text format: `# HELP` and `# TYPE` once per family, then its samples with escaped label values.
struct Exposition {
    enum Kind: String {
        case counter, gauge, histogram
    }

    private(set) var text = ""

    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n"
    }

    mutating func sample(_ name: String, _ labels: [String: String], _ value: UInt64) {
        line(name, labels, String(value))
    }

    mutating func sample(_ name: String, _ labels: [String: String], _ value: Double) {
        line(name, labels, value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value))
    }

    /// `counts` per bucket (not cumulative), one more than `bounds` (the last is +Inf).
    mutating func histogram(
        _ name: String, _ labels: [String: String], bounds: [Double], counts: [UInt64], sum: Double
    ) {
        var cumulative: UInt64 = 0
        for (bound, count) in zip(bounds.map(Self.number) + ["+Inf"], counts) {
            cumulative += count
            var labels = labels
            labels["le"] = bound
            line(name + "_bucket", labels, String(cumulative))
        }
        line(name + "_sum", labels, String(sum))
        line(name + "_count", labels, String(cumulative))
    }

    private mutating func line(_ name: String, _ labels: [String: String], _ value: String) {
        text += name
        if !labels.isEmpty {
            text += "{"
            text += labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(Self.escaped($0.value))\"" }
                .joined(separator: ",")
            text += "}"
        }
        text += " \(value)\n"
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) : String(value)
    }

    /// Label values escape backslash, double quote and newline.
    static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
