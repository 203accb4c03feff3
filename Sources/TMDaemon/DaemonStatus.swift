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
        return StatusReport.profile(profile, input)
    }
}
