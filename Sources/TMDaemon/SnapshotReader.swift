/// One listener thread's view of the store: an atomic load per query, the lock only when a new snapshot exists.
struct SnapshotReader {
    let store: SnapshotStore
    private var generation: UInt64
    private var snapshot: ServingSnapshot

    init(store: SnapshotStore) {
        self.store = store
        generation = store.currentGeneration
        snapshot = store.snapshot
    }

    mutating func current() -> ServingSnapshot {
        let latest = store.currentGeneration
        if latest != generation {
            generation = latest
            snapshot = store.snapshot
        }
        return snapshot
    }
}
