import Synchronization

/// A blocking etcd v3 client over etcd's JSON gateway, safe to share between threads: each call makes its own curl
/// handle on the calling thread.
///
/// Every call tries the endpoint that answered last, then the others in list order. A connection failure, a timeout
/// or etcd's "unavailable" (no leader) moves on to the next; any other etcd error is thrown as `.refused` at once.
public final class EtcdClient: Sendable {
    /// Base URLs without a trailing slash, e.g. "http://127.0.0.1:2379".
    public let endpoints: [String]
    let tls: EtcdTLS?
    let connectTimeout: Double
    let requestTimeout: Double
    /// Index into `endpoints` of the one that answered last.
    private let current = Mutex<Int>(0)

    /// `connectTimeout` bounds connecting to one endpoint, `requestTimeout` a whole call to one endpoint (in
    /// seconds); a watch has only the connect timeout.
    public init(endpoints: [String], tls: EtcdTLS? = nil, connectTimeout: Double = 0.5, requestTimeout: Double = 2) {
        self.endpoints = endpoints.map { url in
            var url = url
            while url.hasSuffix("/") { url.removeLast() }
            return url
        }
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
    }

    /// The endpoint that answered last (for logs and status); the first one until any has answered.
    public var currentEndpoint: String {
        endpoints.isEmpty ? "" : endpoints[current.withLock { $0 }]
    }

    /// Every key under `prefix` (all keys for ""), read at `revision` when given, else at the latest one.
    /// `serializable`: served by whichever member answers from its own copy, without asking the leader, so that it
    /// also works while the cluster elects one (and may be a little behind).
    public func range(prefix: String, revision: Int64? = nil, serializable: Bool = false) throws(EtcdError)
        -> EtcdRange
    {
        var request = EtcdGateway.prefixSelector(prefix)
        if let revision { request["revision"] = String(revision) }
        if serializable { request["serializable"] = true }
        let (url, reply) = try post("/v3/kv/range", request)
        guard let kvs = EtcdGateway.keyValues(reply) else { throw malformed(url, "range", reply) }
        return EtcdRange(revision: EtcdGateway.revision(reply), kvs: kvs)
    }

    public func get(_ key: String) throws(EtcdError) -> EtcdKeyValue? {
        let (url, reply) = try post("/v3/kv/range", ["key": EtcdGateway.base64(key)])
        guard let kvs = EtcdGateway.keyValues(reply) else { throw malformed(url, "range", reply) }
        return kvs.first
    }

    /// One transaction with no compares: all operations or none. Returns the txn's `header.revision`, which is the
    /// mod revision of the keys it put. etcd refuses more than `--max-txn-ops` (128 by default) operations, and two
    /// that touch the same key, with `.refused`.
    public func txn(_ operations: [EtcdOperation]) throws(EtcdError) -> Int64 {
        let (url, reply) = try post("/v3/kv/txn", ["success": operations.map(EtcdGateway.operation)])
        // An empty txn is a no-op that still reports the revision.
        guard reply["header"] != nil else { throw malformed(url, "txn", reply) }
        return EtcdGateway.revision(reply)
    }

    /// A new lease; etcd may grant a longer TTL than asked for (never shorter than its minimum).
    public func leaseGrant(ttl: Int) throws(EtcdError) -> (id: Int64, ttl: Int) {
        let (url, reply) = try post("/v3/lease/grant", ["TTL": String(ttl)])
        let id = EtcdGateway.int64(reply["ID"])
        guard id != 0 else { throw malformed(url, "lease grant", reply) }
        return (id, Int(EtcdGateway.int64(reply["TTL"])))
    }

    /// Renews the lease once; returns its TTL, or throws `.leaseNotFound` when it expired or does not exist.
    public func leaseKeepAlive(_ id: Int64) throws(EtcdError) -> Int {
        // The keepalive is a stream; the gateway sends one reply per request line and ends with the request body.
        let (url, reply) = try post("/v3/lease/keepalive", ["ID": String(id)])
        guard let result = reply["result"] as? [String: Any] else { throw malformed(url, "lease keepalive", reply) }
        // An expired lease is an answer without TTL (0, left out), not an error.
        let ttl = EtcdGateway.int64(result["TTL"])
        guard ttl > 0 else { throw EtcdError(.leaseNotFound, "\(url): lease \(id) not found") }
        return Int(ttl)
    }

    /// Deletes the lease and at once every key attached to it; `.leaseNotFound` when it is already gone.
    public func leaseRevoke(_ id: Int64) throws(EtcdError) {
        _ = try post("/v3/lease/revoke", ["ID": String(id)])
    }

    /// The endpoints in the order a call tries them: the one that answered last first.
    func attemptOrder() -> [Int] {
        let first = current.withLock { $0 }
        return [first] + endpoints.indices.filter { $0 != first }
    }

    func answered(_ index: Int) {
        current.withLock { $0 = index }
    }

    /// One gateway call with failover: the URL that answered and its JSON.
    private func post(_ path: String, _ request: [String: Any]) throws(EtcdError) -> (String, [String: Any]) {
        let body = EtcdGateway.encode(request)
        var reasons: [String] = []
        for index in attemptOrder() {
            let url = endpoints[index]
            let transfer: EtcdTransfer
            do {
                transfer = try EtcdTransfer(
                    url: url + path, body: body, tls: tls, connectTimeout: connectTimeout,
                    requestTimeout: requestTimeout)
            } catch {
                reasons.append(error.message)
                continue
            }
            switch transfer.perform() {
            case .failed(let reason):
                reasons.append("\(url): \(reason)")
                continue
            case .stopped:
                reasons.append("\(url): transfer stopped")
                continue
            case .answered(let status):
                guard let reply = EtcdGateway.object(transfer.body) else {
                    let text = String(decoding: transfer.body.prefix(200), as: UTF8.self)
                    // A proxy or load balancer in front of a member that is down: try the next one.
                    if status >= 500 {
                        reasons.append("\(url): HTTP \(status) \(text)")
                        continue
                    }
                    throw EtcdError(.malformed, "\(url): HTTP \(status), not etcd JSON: \(text)")
                }
                if let failure = EtcdGateway.failure(in: reply) {
                    if failure.isUnavailable {
                        reasons.append("\(url): \(failure.message)")
                        continue
                    }
                    answered(index)
                    if failure.isLeaseNotFound { throw EtcdError(.leaseNotFound, "\(url): \(failure.message)") }
                    throw EtcdError(.refused, "\(url): \(failure.message)")
                }
                answered(index)
                return (url, reply)
            }
        }
        throw unreachable(reasons)
    }

    func unreachable(_ reasons: [String]) -> EtcdError {
        if reasons.isEmpty { return EtcdError(.unreachable, "no etcd endpoints configured") }
        return EtcdError(.unreachable, reasons.joined(separator: "; "))
    }

    private func malformed(_ url: String, _ call: String, _ reply: [String: Any]) -> EtcdError {
        let text = String(decoding: EtcdGateway.encode(reply).prefix(200), as: UTF8.self)
        return EtcdError(.malformed, "\(url): unexpected \(call) reply: \(text)")
    }
}
