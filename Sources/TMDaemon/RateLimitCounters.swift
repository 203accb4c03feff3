import Synchronization

/// Responses rate limiting dropped or sent truncated, summed over listener threads. Threads count privately and
/// add here about once a second (as with `AnswerCounters`), so the query path touches no shared memory.
final class RateLimitCounters: Sendable {
    private let droppedTotal = Atomic<UInt64>(0)
    private let slippedTotal = Atomic<UInt64>(0)

    func add(dropped: UInt64, slipped: UInt64) {
        droppedTotal.add(dropped, ordering: .relaxed)
        slippedTotal.add(slipped, ordering: .relaxed)
    }

    var totals: (dropped: UInt64, slipped: UInt64) {
        (droppedTotal.load(ordering: .relaxed), slippedTotal.load(ordering: .relaxed))
    }
}
