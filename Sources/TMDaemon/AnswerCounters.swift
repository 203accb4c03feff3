import Synchronization
import TMRouting

/// How often each endpoint was handed out, summed over listener threads. Threads count privately and add their
/// counts here about once a second, so the query path takes no lock.
public final class AnswerCounters: Sendable {
    private let totals = Mutex<[EndpointKey: UInt64]>([:])

    /// `counts[id]`: answers that handed out endpoint `id` of `snapshot`.
    func add(_ counts: [UInt64], in snapshot: ServingSnapshot) {
        let keys = snapshot.endpointKeys
        totals.withLock { totals in
            for (id, count) in zip(keys.indices, counts) where count > 0 { totals[keys[id], default: 0] += count }
        }
    }

    /// Every total so far, by endpoint name.
    var all: [EndpointKey: UInt64] { totals.withLock { $0 } }

    /// The total for endpoint `id` of `snapshot`.
    func answers(for id: Int, in snapshot: ServingSnapshot) -> UInt64 {
        guard id >= 0, id < snapshot.endpointKeys.count else { return 0 }
        let key = snapshot.endpointKeys[id]
        return totals.withLock { $0[key] ?? 0 }
    }
}
