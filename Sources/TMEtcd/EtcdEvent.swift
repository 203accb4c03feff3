/// One change seen by a watch.
public enum EtcdEvent: Sendable, Equatable {
    case put(EtcdKeyValue)
    case delete(key: String, modRevision: Int64)
}

/// The events etcd sent in one watch response, all from revisions up to `revision`.
public struct EtcdWatchBatch: Sendable {
    /// `header.revision`: the store's revision when etcd sent the batch (also for a progress notification).
    public let revision: Int64
    /// Empty for a progress notification.
    public let events: [EtcdEvent]
}
