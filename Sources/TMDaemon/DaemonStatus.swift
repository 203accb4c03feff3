import Foundation
import Synchronization
import TMHealth
import TMRouting
import TMStatus
import TMWire

/// Answers status queries from the live snapshot, the monitor and the answer counters.
final class DaemonStatus: StatusSource {
    private let store: SnapshotStore
    private let monitor: HealthMonitor
    private let counters: AnswerCounters
    private let started = Date()
    private let lastReload = Mutex<ReloadRecord?>(nil)

    init(store: SnapshotStore, monitor: HealthMonitor, counters: AnswerCounters) {
        self.store = store
        self.monitor = monitor
        self.counters = counters
    }

    func recordReload(succeeded: Bool, errorCount: Int) {
        lastReload.withLock { $0 = ReloadRecord(time: Date(), succeeded: succeeded, errorCount: errorCount) }
    }

    func statusLines(for name: DomainName, clientSubnet: IPNetwork?) -> [String] {
        let snapshot = store.snapshot
        let views = monitor.views
        let counts = counters.current
        let keys = snapshot.endpointKeys
        let runtimes = keys.indices.map { id -> EndpointRuntime in
            let view = id < views.count ? views[id] : nil
            let probed = view?.lastResult != nil || view?.health != .checking
            return EndpointRuntime(since: probed ? view?.since : nil, lastResult: view?.lastResult?.description,
                                   latency: view?.lastResult?.latency,
                                   consecutiveFailures: view?.consecutiveFailures ?? 0, answered: counts[keys[id]] ?? 0)
        }
        let input = StatusInput(zone: snapshot.configuration.zone.apex, profiles: snapshot.configuration.profiles,
                                health: snapshot.health, endpoints: runtimes, started: started,
                                lastReload: lastReload.withLock { $0 })
        if name == input.zone { return StatusReport.zone(input) }
        guard let profile = input.profiles.first(where: { $0.fqdn == name }) else { return [] }
        let report = StatusReport.profile(profile, input)
        guard let clientSubnet else { return report }
        return report + explain(profile, for: clientSubnet, snapshot: snapshot)
    }

    /// The path one client's query takes: its location and where that came from, the geo or subnet match, the
    /// profile whose endpoint answers and how that profile picked it.
    private func explain(_ profile: Profile, for subnet: IPNetwork, snapshot: ServingSnapshot) -> [String] {
        let set = ProfileSet(snapshot.configuration.profiles)
        let routing = Router.route(profile, set: set, health: snapshot.health)
        var query = ClientQuery(address: subnet.address, sourcePrefixLength: subnet.prefixLength,
                                locator: snapshot.configuration.locator, explaining: true)
        let location = query.location()
        var lines = ["client=\(subnet) location=\(location.codes.joined(separator: ",")) "
            + "source=\(location.source.rawValue)" + (location.prefixLength.map { " network=/\($0)" } ?? "")]
        let index = routing.plan.select(for: &query, random: { Double.random(in: 0..<1) })
        let scope = "scope=\(query.scopePrefixLength ?? 0)"
        if !query.path.isEmpty { lines.append("path=" + query.path.joined(separator: " > ")) }
        guard let index else { return lines + ["answer=NODATA \(scope)"] }
        let answer = routing.answerSets[index]
        guard let id = answer.endpointID, let owner = set.profiles.first(where: { $0.endpoints.contains { $0.id == id } }),
              let endpoint = owner.endpoints.first(where: { $0.id == id }) else {
            let addresses = answer.a.map(\.description) + answer.aaaa.map(\.description)
            return lines + ["answer=\(addresses.joined(separator: ",")) \(scope)"]
        }
        let pick = Router.decide(owner, set: set, health: snapshot.health).reason
        return lines + ["answer=\(endpoint.name) target=\(endpoint.target) profile=\(owner.name) "
            + "pick=\(Publisher.describe(pick).replacingOccurrences(of: " ", with: "_")) \(scope)"]
    }
}
