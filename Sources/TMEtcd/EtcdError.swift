/// What went wrong talking to etcd; `message` names the endpoint URL and what happened there.
public struct EtcdError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No endpoint answered (connection failures, timeouts, "no leader"), or a watch stream ended.
        case unreachable
        /// etcd answered with an error, e.g. "etcdserver: too many operations in txn request".
        case refused
        /// A watch's start revision was compacted; the value is etcd's compact_revision, the oldest one still there.
        case compacted(Int64)
        /// The lease expired or never existed.
        case leaseNotFound
        /// The watch's `EtcdCancellation` was cancelled.
        case cancelled
        /// A response that does not parse as etcd's gateway JSON.
        case malformed
    }

    public let kind: Kind
    /// e.g. "http://127.0.0.1:2379: couldn't connect (Connection refused)".
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
