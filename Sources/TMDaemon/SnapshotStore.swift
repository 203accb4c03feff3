import Synchronization

/// Holds the current snapshot. One writer (the publisher) publishes whole snapshots; listener threads read them
/// without locking on the query path (see `SnapshotReader`).
public final class SnapshotStore: Sendable {
    private let current: Mutex<ServingSnapshot>
    private let generation = Atomic<UInt64>(0)

    public init(_ snapshot: ServingSnapshot) { current = Mutex(snapshot) }

    public func publish(_ snapshot: ServingSnapshot) {
        current.withLock { $0 = snapshot }
        generation.add(1, ordering: .releasing)
    }

    public var snapshot: ServingSnapshot { current.withLock { $0 } }

    var currentGeneration: UInt64 { generation.load(ordering: .acquiring) }
}
