import Foundation
import TMHealth
import TMRouting
import TMStatus
import TMWire

/// Answers status queries: the zone's from the answer the publisher prepared, a profile's made from the live
/// snapshot, the monitor's histories and the answer counters, at the cost of that profile's endpoints only. The
/// listeners' copy leaves profiles to the status desk (`rendersProfiles` false), so that no listener thread spends
/// more than a lookup on status.
final class DaemonStatus: StatusSource {
    private let store: SnapshotStore
    private let board: StatusBoard
    private let monitor: HealthMonitor
    private let counters: AnswerCounters
    private let vantage: VantageBoard?
    let rendersProfiles: Bool

    init(
        store: SnapshotStore, board: StatusBoard, monitor: HealthMonitor, counters: AnswerCounters,
        vantage: VantageBoard?, rendersProfiles: Bool
    ) {
        self.store = store
        self.board = board
        self.monitor = monitor
        self.counters = counters
        self.vantage = vantage
        self.rendersProfiles = rendersProfiles
    }

    func status(for name: DomainName, clientSubnet: IPNetwork?) -> StatusAnswer {
        let snapshot = store.snapshot
        if name == snapshot.configuration.zone.apex { return board.zone.map { .prepared($0) } ?? .lines([]) }
        guard let index = snapshot.routing.profiles.index(answeringAt: name) else { return .lines([]) }
        guard rendersProfiles else { return .elsewhere }
        let report = StatusReport.profile(index, input(snapshot))
        guard let clientSubnet else { return .lines(report) }
        return .lines(report + (explanation(of: index, for: clientSubnet, in: snapshot)))
    }

    /// Why a client in `client` gets what it gets at `name`; nil when no profile answers there.
    func explanation(name: DomainName, client: IPNetwork) -> [String]? {
        let snapshot = store.snapshot
        guard let index = snapshot.routing.profiles.index(answeringAt: name) else { return nil }
        return explanation(of: index, for: client, in: snapshot)
    }

    private func explanation(of index: Int, for client: IPNetwork, in snapshot: ServingSnapshot) -> [String] {
        let query = ClientQuery(
            address: client.address, origin: .ecs, sourcePrefixLength: client.prefixLength,
            locator: snapshot.configuration.locator)
        return StatusReport.explanation(index, for: query, input(snapshot))
    }

    /// What status is made from, for `snapshot`: per-endpoint facts looked up by id.
    func input(
        _ snapshot: ServingSnapshot, generation: Int = 0, started: Date = Date(), lastReload: ReloadRecord? = nil
    )
        -> StatusInput
    {
        let monitor = monitor
        let counters = counters
        var input = StatusInput(
            zone: snapshot.configuration.zone.apex, routing: snapshot.routing,
            endpointHealth: { monitor.endpoint($0) }, answered: { counters.answers(for: $0, in: snapshot) },
            generation: generation, started: started, lastReload: lastReload)
        if let vantage {
            input.vantage = { id in
                guard id < snapshot.endpointKeys.count, let own = monitor.endpoint(id)?.verdict else { return nil }
                let verdicts = vantage.verdicts(on: snapshot.endpointKeys[id], own: own)
                return verdicts.isEmpty ? nil : verdicts
            }
        }
        return input
    }
}
