import Foundation
import TMHealth
import TMRouting
import TMStatus
import TMWire

/// Answers status queries: the zone's from the answer the publisher prepared, a profile's made on demand from the
/// live snapshot, the monitor's histories and the answer counters, at the cost of that profile's endpoints only.
final class DaemonStatus: StatusSource {
    private let store: SnapshotStore
    private let board: StatusBoard
    private let monitor: HealthMonitor
    private let counters: AnswerCounters

    init(store: SnapshotStore, board: StatusBoard, monitor: HealthMonitor, counters: AnswerCounters) {
        self.store = store
        self.board = board
        self.monitor = monitor
        self.counters = counters
    }

    func preparedStatus(for name: DomainName) -> PreparedStatus? {
        name == store.snapshot.configuration.zone.apex ? board.zone : nil
    }

    func statusLines(for name: DomainName, clientSubnet: IPNetwork?) -> [String] {
        let snapshot = store.snapshot
        guard let index = snapshot.routing.profiles.index(answeringAt: name) else { return [] }
        let monitor = monitor
        let counters = counters
        let input = StatusInput(
            zone: snapshot.configuration.zone.apex, routing: snapshot.routing,
            endpointHealth: { monitor.endpoint($0) }, answered: { counters.answers(for: $0, in: snapshot) },
            started: Date(), lastReload: nil)
        let report = StatusReport.profile(index, input)
        guard let clientSubnet else { return report }
        let client = ClientQuery(
            address: clientSubnet.address, origin: .ecs, sourcePrefixLength: clientSubnet.prefixLength,
            locator: snapshot.configuration.locator)
        return report + StatusReport.explanation(index, for: client, input)
    }
}
