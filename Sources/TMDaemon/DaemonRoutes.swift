import Foundation
import TMFleet
import TMHTTP
import TMHealth
import TMRouting
import TMStatus

/// The HTTP interface's paths over the daemon's state. Every document is made from the serving snapshot when asked
/// for, on an HTTP thread.
struct DaemonRoutes {
    let publisher: Publisher
    let monitor: HealthMonitor
    let context: ListenerContext
    let started: Date
    let version: String
    let fleet: FleetAgent?

    var routes: HTTPRoutes {
        let status = DaemonStatus(
            store: publisher.store, board: publisher.board, monitor: monitor, counters: context.counters,
            vantage: publisher.vantage, rendersProfiles: true)
        return [
            "/metrics": { [self] _ in
                HTTPDocument(
                    contentType: "text/plain; version=0.0.4; charset=utf-8",
                    body: Data(
                        MetricsPage(
                            snapshot: publisher.store.snapshot, queries: context.queries.snapshot,
                            answers: context.counters.all, probes: monitor.probeTallies(),
                            reloads: publisher.reloads.current, rateLimited: publisher.rateLimited.totals,
                            started: started, version: version,
                            fleet: publisher.vantage?.status.map { status in
                                MetricsPage.FleetMetrics(
                                    status: status, verdictWrites: fleet?.writes.load(ordering: .relaxed) ?? 0,
                                    leaseRenewals: fleet?.renewals.load(ordering: .relaxed) ?? 0)
                            }
                        ).render().utf8))
            },
            "/healthz": { [context] _ in
                context.heartbeat.allAlive(within: 3) ? .text("ok\n") : .text("listener stalled\n", status: 503)
            },
            "/readyz": { [monitor] _ in
                monitor.firstRoundComplete ? .text("ready\n") : .text("first probe round not done\n", status: 503)
            },
            "/api/v1/status": { [self] _ in
                let (lastReload, generation) = publisher.reloads.last
                var input = status.input(
                    publisher.store.snapshot, generation: generation, started: started, lastReload: lastReload)
                input.fleet = publisher.vantage?.status
                return .json(StatusDocument.encoded(StatusDocument(input)))
            },
            "/api/v1/explain": { query in Self.explain(query, status: status) },
            "/api/v1/events": { [publisher] query in Self.events(query, log: publisher.events) },
            "/": { _ in HTTPDocument(contentType: "text/html; charset=utf-8", body: Data(Dashboard.page.utf8)) },
        ]
    }

    /// `?name=svc.tm.example&type=A&client=198.51.100.7` (or a network `198.51.100.0/24`): the lines of
    /// `dig CH TXT name +subnet=client`'s explanation.
    static func explain(_ query: [String: String], status: DaemonStatus) -> HTTPDocument {
        guard let text = query["name"], let name = DomainName(text.hasSuffix(".") ? text : text + ".") else {
            return error("name: a profile's name is required, such as name=app.tm.example", status: 400)
        }
        guard let clientText = query["client"],
            let client = IPNetwork(clientText)
                ?? IPAddress(clientText).flatMap({ address in
                    IPNetwork(address: address, prefixLength: { if case .v4 = address { 32 } else { 128 } }())
                })
        else { return error("client: an address or network is required, such as client=198.51.100.7", status: 400) }
        let type = query["type"] ?? "A"
        guard ["A", "AAAA", "ANY"].contains(type.uppercased()) else {
            return error("type: A, AAAA or ANY", status: 400)
        }
        guard let lines = status.explanation(name: name, client: client) else {
            return error("no profile answers at \(name)", status: 404)
        }
        struct Explanation: Encodable {
            let name: String
            let type: String
            let client: String
            let explanation: [String]
        }
        return .json(
            StatusDocument.encoded(
                Explanation(name: "\(name)", type: type.uppercased(), client: "\(client)", explanation: lines)))
    }

    /// `?since=` a sequence number (events after it) or an RFC 3339 time (events at or after it); newest last.
    static func events(_ query: [String: String], log: EventLog) -> HTTPDocument {
        struct Page: Encodable {
            let events: [Event]
        }
        guard let since = query["since"] else { return .json(StatusDocument.encoded(Page(events: log.events()))) }
        if let sequence = UInt64(since) {
            return .json(StatusDocument.encoded(Page(events: log.events(afterSequence: sequence))))
        }
        guard let time = ISO8601DateFormatter().date(from: since) else {
            return error("since: a sequence number or an RFC 3339 time such as 2026-12-01T10:00:00Z", status: 400)
        }
        return .json(StatusDocument.encoded(Page(events: log.events(since: time))))
    }

    static func error(_ message: String, status: Int) -> HTTPDocument {
        .json(StatusDocument.encoded(["error": message]), status: status)
    }
}
