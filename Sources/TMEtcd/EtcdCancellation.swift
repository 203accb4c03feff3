import Synchronization

/// Stops a running `EtcdClient.watch` from another thread: the watch throws `.cancelled` within ~100 ms.
public final class EtcdCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    /// Idempotent; a watch started after this throws `.cancelled` at once.
    public func cancel() {
        flag.store(true, ordering: .releasing)
    }

    public var isCancelled: Bool { flag.load(ordering: .acquiring) }
}
