import Foundation
import TMHealth
import TMRouting

/// Everything the CH TXT status shows, as one JSON document (`GET /api/v1/status`): the same `StatusInput`, the
/// same decision and its reason, in a shape for scripts and the dashboard.
public struct StatusDocument: Codable, Sendable {
    public struct Endpoint: Codable, Sendable {
        public let name: String
        /// The address or name answered; nil for a nested endpoint.
        public let target: String?
        /// The nested child profile.
        public let child: String?
        public let priority: Int
        public let weight: Int
        public let status: String
        public let since: Date?
        public let lastResult: String?
        public let latencyMilliseconds: Double?
        public let consecutiveFailures: Int
        public let answers: UInt64
        /// `drained`, `forced-up` or `forced-down` while an operator says so.
        public let admin: String?
        public let adminReason: String?
        public let adminUntil: Date?
        /// For a server of a fleet: each live vantage point's verdict (instance → Online or Degraded); routing
        /// uses them combined, as `status` says.
        public let vantage: [String: String]?
    }

    /// For a server of a fleet, what the zone status line says of it.
    public struct Fleet: Codable, Sendable {
        /// Nil while the local files serve.
        public let configRevision: Int64?
        public let refusedRevision: Int64?
        public let connected: Bool
        public let since: Date
        public let vantagePoints: Int
    }

    public struct Profile: Codable, Sendable {
        public let name: String
        public let fqdn: String
        public let method: String
        public let status: String
        /// The endpoint answered now (`per-query` when it depends on the client, `none` for NODATA).
        public let answer: String
        /// Every level's choice, as the log's `reason=` says it.
        public let reason: String
        public let failOpen: Bool
        public let ttl: Int
        public let endpoints: [Endpoint]
    }

    public let zone: String
    public let generation: Int
    public let started: Date
    public let lastReload: Date?
    public let lastReloadSucceeded: Bool?
    public let fleet: Fleet?
    public let profiles: [Profile]

    public init(_ input: StatusInput) {
        let routing = input.routing
        let profiles = routing.profiles
        zone = input.zone.description
        generation = input.generation
        started = input.started
        lastReload = input.lastReload?.time
        lastReloadSucceeded = input.lastReload?.succeeded
        fleet = input.fleet.map {
            Fleet(
                configRevision: $0.configRevision, refusedRevision: $0.refusedRevision, connected: $0.isConnected,
                since: $0.since, vantagePoints: $0.vantagePoints)
        }
        self.profiles = profiles.profiles.indices.map { index in
            let profile = profiles[index]
            let route = routing[profile: index]
            let endpoints = profile.endpoints.enumerated().map { position, endpoint in
                let health = input.endpointHealth(endpoint.id)
                let admin = routing.health.overrides[endpoint.id]
                return Endpoint(
                    name: endpoint.name, target: endpoint.nested == nil ? "\(endpoint.target)" : nil,
                    child: endpoint.nested?.profile, priority: endpoint.priority, weight: endpoint.weight,
                    status: route.statuses[position].rawValue, since: health?.since,
                    lastResult: health?.lastResult?.description,
                    latencyMilliseconds: health?.lastResult.map { $0.latency * 1000 },
                    consecutiveFailures: health?.consecutiveFailures ?? 0, answers: input.answered(endpoint.id),
                    admin: admin?.action.rawValue, adminReason: admin?.reason, adminUntil: admin?.until,
                    vantage: input.vantage(endpoint.id).map { verdicts in
                        Dictionary(verdicts.map { ($0.instance, $0.verdict.rawValue) }, uniquingKeysWith: { a, _ in a })
                    })
            }
            return Profile(
                name: profile.name, fqdn: profile.fqdn.description, method: profile.method.rawValue,
                status: route.profileStatus.rawValue, answer: DecisionText.answer(route.decision, in: profiles),
                reason: DecisionText.reason(route.decision, method: profile.method, in: profiles),
                failOpen: route.decision.failsOpen, ttl: Int(profile.ttl), endpoints: endpoints)
        }
    }

    /// JSON with RFC 3339 dates and sorted keys.
    public static func encoded(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}
