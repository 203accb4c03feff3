import Foundation
import Synchronization
import TMHealth
import TMRouting
import TMStatus
import TMWire

/// Answers status queries from the live snapshot, the monitor's histories and the answer counters.
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
        let input = StatusInput(
            zone: snapshot.configuration.zone.apex, routing: snapshot.routing,
            endpoints: monitor.endpoints, answered: counters.byEndpoint(of: snapshot),
            started: started, lastReload: lastReload.withLock { $0 })
        if name == input.zone { return StatusReport.zone(input) }
        guard let index = snapshot.routing.profiles.profiles.firstIndex(where: { $0.fqdn == name }) else { return [] }
        let report = StatusReport.profile(index, input)
        guard let clientSubnet else { return report }
        let client = ClientQuery(
            address: clientSubnet.address, origin: .ecs,
            sourcePrefixLength: clientSubnet.prefixLength, locator: snapshot.configuration.locator)
        return report + StatusReport.explanation(index, for: client, input)
    }
}
