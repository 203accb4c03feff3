import Synchronization
import TMConfig
import TMRouting
import TMWire

/// What the server answers from at one moment: configuration and health, and the answers prepared from both.
/// A class, so that handing it to a listener thread costs one reference count, not one per field.
public final class ServingSnapshot: Sendable {
    public let configuration: Configuration
    public let health: HealthVector
    public let content: ZoneContent
    public let table: AnswerTable

    init(configuration: Configuration, health: HealthVector, content: ZoneContent, table: AnswerTable) {
        self.configuration = configuration
        self.health = health
        self.content = content
        self.table = table
        endpointKeys = configuration.profiles.flatMap { profile in
            profile.endpoints.sorted { $0.id < $1.id }.map { EndpointKey(profile: profile.name, endpoint: $0.name) }
        }
    }

    /// Endpoint names by id, for counts that must survive reloads. Listener threads read it whenever they hand
    /// over their counts, so it is built once here.
    let endpointKeys: [EndpointKey]
}

/// Holds the current snapshot. One writer publishes whole snapshots; listener threads read them without locking
/// on the query path (see `SnapshotReader`).
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
