import Foundation
import Synchronization
import TMConfig
import TMFleet
import TMRouting
import TMStatus

/// The publisher's view of the fleet: the vantage points' verdicts, the link to etcd, and which revision serves.
/// Touched by the publisher thread only.
struct FleetRouting {
    let instance: String
    /// Follows reloads; the rest of the fleet section needs a restart.
    private(set) var rule: DegradedWhen
    private(set) var view = VantageView()
    private(set) var connection: FleetConnection
    /// Endpoint names by id in the configuration that serves.
    private(set) var keys: [EndpointKey] = []
    private var ids: [EndpointKey: Int] = [:]
    private(set) var appliedRevision: Int64?
    private(set) var refusedRevision: Int64?

    init(settings: FleetSettings, revision: Int64?) {
        instance = settings.instance
        rule = settings.degradedWhen
        appliedRevision = revision
        connection = FleetConnection(isConnected: false, since: Date(), reason: "starting")
    }

    /// Routing combines the fleet's verdicts only while etcd is reachable; otherwise the server's own serve.
    var isActive: Bool { connection.isConnected }

    mutating func configure(keys: [EndpointKey], rule: DegradedWhen?) {
        self.keys = keys
        if let rule { self.rule = rule }
        ids = Dictionary(keys.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    mutating func applied(_ revision: Int64?) {
        appliedRevision = revision
        if let refused = refusedRevision, refused <= revision ?? 0 { refusedRevision = nil }
    }

    mutating func refused(_ revision: Int64) {
        if revision > appliedRevision ?? 0 { refusedRevision = revision }
    }

    /// Takes an update; returns the endpoint ids whose fleet verdicts may now differ (nil: every one).
    mutating func take(_ update: FleetUpdate) -> [Int]? {
        switch update {
        case .config, .admin:
            return []
        case .view(let new):
            let changed = new.changedKeys(from: view)
            view = new
            return changed.compactMap { ids[$0] }
        case .connection(let new):
            let wasActive = isActive
            connection = new
            return wasActive == isActive ? [] : nil
        }
    }

    var status: FleetStatus {
        FleetStatus(
            configRevision: appliedRevision, refusedRevision: refusedRevision, isConnected: connection.isConnected,
            since: connection.since,
            vantagePoints: isActive ? view.instances.union([instance]).count : 1)
    }
}

/// The fleet's verdicts as the publisher last took them, for status: read by the status desk and the HTTP
/// interface, never by a listener.
final class VantageBoard: Sendable {
    let instance: String
    private let state = Mutex<(view: VantageView, isActive: Bool)>((VantageView(), false))
    private let statusSlot = Mutex<FleetStatus?>(nil)

    init(instance: String) { self.instance = instance }

    func post(_ view: VantageView, isActive: Bool) { state.withLock { $0 = (view, isActive) } }

    /// The zone status's fleet words, as last posted, for metrics.
    var status: FleetStatus? {
        get { statusSlot.withLock { $0 } }
        set { statusSlot.withLock { $0 = newValue } }
    }

    /// Every live vantage point's verdict on `key`, this server's (`own`) included, by instance name.
    func verdicts(on key: EndpointKey, own: MonitorStatus) -> [(instance: String, verdict: MonitorStatus)] {
        let (view, isActive) = state.withLock { $0 }
        var verdicts = isActive ? view.others(on: key, except: instance) : []
        if own == .online || own == .degraded { verdicts.append((instance, own)) }
        return verdicts.sorted { $0.instance < $1.instance }
    }
}
