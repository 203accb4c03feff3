/// One write inside `EtcdClient.txn`.
public enum EtcdOperation: Sendable {
    /// `lease` nil or 0 stores the key without a lease.
    case put(key: String, value: [UInt8], lease: Int64? = nil)
    /// Every key that starts with the string; an empty string deletes every key.
    case deletePrefix(String)
    case delete(String)
}
