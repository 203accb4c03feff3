/// One key as etcd stores it; revisions and lease are 0 where etcd leaves them out.
public struct EtcdKeyValue: Sendable, Equatable {
    public let key: String
    public let value: [UInt8]
    public let modRevision: Int64
    public let createRevision: Int64
    /// The lease the key is attached to, 0 for none.
    public let lease: Int64

    public init(key: String, value: [UInt8], modRevision: Int64, createRevision: Int64, lease: Int64) {
        self.key = key
        self.value = value
        self.modRevision = modRevision
        self.createRevision = createRevision
        self.lease = lease
    }
}

/// The keys under a prefix, read at one revision.
public struct EtcdRange: Sendable {
    /// The store's revision the read saw (`header.revision`): a watch from `revision + 1` misses nothing.
    public let revision: Int64
    /// In key order, as etcd returns them.
    public let kvs: [EtcdKeyValue]
}
