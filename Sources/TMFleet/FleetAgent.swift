import Dispatch
import Foundation
import Logging
import Synchronization
import TMConfig
import TMControl
import TMEtcd
import TMRouting
import TMSystem

/// What the fleet tells the server that runs it, in the order it happened. Handed to a closure that must not block
/// (the publisher queues it).
public enum FleetUpdate: Sendable {
    /// The newest configuration in etcd (nil: nothing was ever published) and the revision it was written at.
    case config(ConfigDocuments?, revision: Int64)
    /// The live vantage points' verdicts.
    case view(VantageView)
    /// Whether etcd can be reached for both reading (the watch) and writing (the lease); since when.
    case connection(FleetConnection)
    /// The fleet's admin state, whole: after every (re)start of the watch, and when it changes.
    case admin([AdminEntry])
}

public struct FleetConnection: Sendable, Equatable {
    public let isConnected: Bool
    public let since: Date
    /// Why not, while not connected.
    public let reason: String?

    public init(isConnected: Bool, since: Date, reason: String?) {
        self.isConnected = isConnected
        self.since = since
        self.reason = reason
    }
}

/// One server's (or vantage point's) part in a fleet, on two threads of its own so that nothing else ever waits for
/// etcd: `fleet-watch` mirrors the prefix (configuration, every live instance's verdicts, admin state) and reports
/// changes; `fleet-lease` holds the instance's lease and writes its own verdicts when they change, and the admin
/// commands this server was given.
public final class FleetAgent: Sendable {
    public let instance: String
    let keys: FleetKeys
    private let client: EtcdClient
    private let endpointList: String
    private let logger: Logger
    private let update: @Sendable (FleetUpdate) -> Void
    /// This instance's verdicts on the endpoints given (nil: all of them).
    private let ownVerdicts: @Sendable ([Int]?) -> [EndpointKey: VantageVerdict]
    /// Endpoint ids whose verdict may have changed since the writer last looked; nil: look at every one.
    private let changedIDs = Mutex<Set<Int>?>(nil)
    /// Admin entries to write (nil: delete the key) that the writer has not yet written, in order.
    private let adminWrites = Mutex<[(EndpointKey, AdminEntry?)]>([])
    private let presence: Data
    /// Seconds; set from the longest probe interval in use (`leaseTTL(longestInterval:)`).
    private let ttl: Mutex<Int>
    private let cancellation = EtcdCancellation()
    private let stopping = Atomic<Bool>(false)
    private let writerWakeup = DispatchSemaphore(value: 0)
    private let writerDone = DispatchSemaphore(value: 0)
    /// The connection state each thread saw last, and what was reported.
    private let connection = Mutex(ConnectionParts())
    /// Writes to etcd, for metrics and bench/fleet.sh: verdict transactions and lease renewals.
    public let writes = Atomic<UInt64>(0)
    public let renewals = Atomic<UInt64>(0)

    private struct ConnectionParts {
        var watching = false
        var leased = false
        var reported: FleetConnection?
        var reason: String?
    }

    /// The lease outlives a missed renewal or two, and a dead instance's verdicts go within about two probe
    /// intervals: at least 3 s, at most 5 × the longest interval.
    public static func leaseTTL(longestInterval: Double) -> Int {
        max(3, Int((2 * longestInterval).rounded(.up)))
    }

    /// How often the lease is renewed, which is also how soon a writer notices etcd has gone.
    static let renewalInterval = 1.0
    static let retryInterval = 0.5
    /// How long a revision older than one already seen is waited out before it is believed.
    static let behindPatience = 10.0
    /// Transactions are cut to this many operations: etcd refuses more than 128 by default.
    static let operationsPerTransaction = 100

    public init(
        settings: FleetSettings, longestInterval: Double, presence: [String: String], logger: Logger,
        ownVerdicts: @escaping @Sendable ([Int]?) -> [EndpointKey: VantageVerdict],
        update: @escaping @Sendable (FleetUpdate) -> Void
    ) {
        instance = settings.instance
        keys = FleetKeys(prefix: settings.prefix)
        client = EtcdClient(
            endpoints: settings.etcd, tls: Self.tls(settings), connectTimeout: 0.5, requestTimeout: 1)
        endpointList = settings.etcd.joined(separator: ",")
        self.logger = logger
        self.ownVerdicts = ownVerdicts
        self.update = update
        self.presence = (try? JSONEncoder.fleet.encode(presence)) ?? Data()
        ttl = Mutex(Self.leaseTTL(longestInterval: longestInterval))
    }

    /// The TLS files of `settings`; nil when it names none.
    public static func tls(_ settings: FleetSettings) -> EtcdTLS? {
        let files = [settings.caFile, settings.certFile, settings.keyFile]
        return files.allSatisfy { $0 == nil }
            ? nil : EtcdTLS(caFile: settings.caFile, certFile: settings.certFile, keyFile: settings.keyFile)
    }

    /// The configuration in etcd now, for the start: nil when etcd cannot be reached (within about a second).
    public func fetchConfig() -> (documents: ConfigDocuments?, revision: Int64)? {
        do {
            var mirror = FleetMirror(keys: keys)
            mirror.reset(try client.range(prefix: keys.config))
            if mirror.isPublishing {
                logger.notice("a publish is under way in etcd; starting from the cached revision")
                return nil
            }
            return (mirror.documents, mirror.configRevision)
        } catch {
            logger.warning(
                "etcd cannot be reached at start", metadata: ["etcd": "\(endpointList)", "error": "\(error)"])
            return nil
        }
    }

    public func start() {
        startNamedThread("fleet-watch") { [self] in watchLoop() }
        startNamedThread("fleet-lease") { [self] in leaseLoop() }
    }

    /// From the probe thread: the verdicts of `ids` may have changed; the writer looks soon. Never blocks.
    public func verdictsChanged(_ ids: [Int]) {
        changedIDs.withLock { $0?.formUnion(ids) }
        writerWakeup.signal()
    }

    /// At start and after a reload: every verdict is compared again (endpoints came and went), and the lease
    /// follows the longest probe interval now in use (a new lease when its TTL changes).
    public func configurationChanged(longestInterval seconds: Double) {
        ttl.withLock { $0 = Self.leaseTTL(longestInterval: seconds) }
        changedIDs.withLock { $0 = nil }
        writerWakeup.signal()
    }

    /// From the publisher thread: admin entries set and cleared on this server, for the writer to put in etcd.
    /// Never blocks; false (nothing queued) while etcd cannot be reached: they apply on this server only, and the
    /// fleet's admin state replaces them when etcd is back.
    public func adminChanged(set: [AdminEntry], cleared: [AdminEntry]) -> Bool {
        guard isConnected else { return false }
        let writes =
            set.map { (Self.key($0), Optional($0)) } + cleared.map { (Self.key($0), AdminEntry?.none) }
        adminWrites.withLock { $0 += writes }
        writerWakeup.signal()
        return true
    }

    /// Admin entries given here and not yet in etcd, in order (nil: cleared).
    public var pendingAdminWrites: [(EndpointKey, AdminEntry?)] { adminWrites.withLock { $0 } }

    private static func key(_ entry: AdminEntry) -> EndpointKey {
        EndpointKey(profile: entry.profile, endpoint: entry.endpoint)
    }

    private var isConnected: Bool { connection.withLock { $0.reported?.isConnected ?? false } }

    /// What the writer should compare: the endpoints changed since it last looked, or all (nil).
    private func takeChanged() -> [Int]? {
        changedIDs.withLock { changed in
            defer { changed = [] }
            return changed.map(Array.init)
        }
    }

    /// Stops both threads; the lease is revoked, so that the others stop counting this instance at once, if etcd
    /// answers within `seconds`.
    public func stop(within seconds: Double) {
        stopping.store(true, ordering: .releasing)
        cancellation.cancel()
        writerWakeup.signal()
        _ = writerDone.wait(timeout: .now() + seconds)
    }

    private var isStopping: Bool { stopping.load(ordering: .acquiring) }

    // MARK: watching

    private func watchLoop() {
        var mirror = FleetMirror(keys: keys)
        var postedConfig: Int64 = -1
        var postedView: VantageView?
        var postedAdmin: [AdminEntry]?
        func post(config: Bool, view: Bool, admin: Bool) {
            if config, !mirror.isPublishing, mirror.configRevision != postedConfig {
                postedConfig = mirror.configRevision
                update(.config(mirror.documents, revision: mirror.configRevision))
            }
            if view {
                let current = mirror.view
                if current != postedView {
                    postedView = current
                    update(.view(current))
                }
            }
            // After a range always: what a server applied on its own while etcd was away gives way to the fleet's.
            if admin {
                let current = mirror.admin
                if current != postedAdmin {
                    postedAdmin = current
                    update(.admin(current))
                }
            }
        }
        // The newest revision seen: a member that is behind (just restarted, catching up) must not take the server
        // back to an older configuration, admin state or view.
        var newest: Int64 = 0
        var behindSince: Double?
        while !isStopping {
            var range: EtcdRange
            do {
                // Serializable: a member that stopped takes the watch to another, which answers at once even while
                // the cluster elects a new leader. One that is behind is asked again through the leader.
                range = try client.range(prefix: keys.prefix, serializable: true)
                if range.revision < newest { range = try client.range(prefix: keys.prefix) }
            } catch {
                if isStopping { return }
                // Only a range that fails on every member counts as etcd gone: a watch that ended on one member
                // that stopped is taken up on another, and nothing changes for routing.
                setConnection(watching: false, reason: "\(error)")
                sleepUnlessStopping(Self.retryInterval)
                continue
            }
            if range.revision < newest {
                // Still behind after asking the leader: etcd itself went back (restored from an old backup, or
                // rebuilt). Waited out for a while, then taken as it is.
                let since = behindSince ?? monotonicSeconds()
                behindSince = since
                if monotonicSeconds() - since < Self.behindPatience {
                    sleepUnlessStopping(Self.retryInterval)
                    continue
                }
                logger.warning(
                    "etcd's revision went back; taking its configuration as it is",
                    metadata: ["revision": "\(range.revision)", "seen": "\(newest)"])
                postedConfig = -1
            }
            behindSince = nil
            newest = range.revision
            mirror.reset(range)
            postedAdmin = nil
            post(config: true, view: true, admin: true)
            setConnection(watching: true, reason: nil)
            let watchStarted = monotonicSeconds()
            do {
                try client.watch(prefix: keys.prefix, from: range.revision + 1, cancellation: cancellation) { batch in
                    newest = max(newest, batch.revision)
                    let changes = mirror.apply(batch)
                    post(config: changes.config, view: changes.view, admin: changes.admin)
                }
            } catch {
                if isStopping { return }
                logger.info("the etcd watch ended; watching again", metadata: ["reason": "\(error)"])
                // A watch that etcd ends at once (a compacted revision is the one expected case) is not retried
                // in a tight loop.
                if monotonicSeconds() - watchStarted < 1 { sleepUnlessStopping(Self.retryInterval) }
            }
        }
    }

    // MARK: the lease and own verdicts

    private func leaseLoop() {
        defer { writerDone.signal() }
        var lease: Int64?
        var leaseTTL = 0
        var written: [EndpointKey: MonitorStatus] = [:]
        var lastRenewal = 0.0
        /// When etcd last confirmed the lease: while it surely still runs, a failed renewal (a leader election
        /// takes a second or two) does not take this server out of the fleet. etcd gone altogether ends the watch,
        /// which does, at once.
        var lastConfirmed = -Double.infinity
        /// A lease replaced by one with another TTL: revoked once every verdict is written under the new one, so
        /// that the others never see this instance without its verdicts.
        var replaced: Int64?
        while true {
            if isStopping {
                if let lease { try? client.leaseRevoke(lease) }
                return
            }
            do {
                let wantedTTL = ttl.withLock { $0 }
                if lease == nil || leaseTTL != wantedTTL {
                    let granted = try client.leaseGrant(ttl: wantedTTL)
                    var operations: [EtcdOperation] = []
                    // Whatever an earlier run of this instance left goes first: it is rewritten under the new lease.
                    if lease == nil { operations.append(.deletePrefix(keys.health(of: instance))) }
                    operations.append(.put(key: keys.instance(instance), value: Array(presence), lease: granted.id))
                    _ = try client.txn(operations)
                    writes.add(1, ordering: .relaxed)
                    replaced = lease
                    lease = granted.id
                    leaseTTL = wantedTTL
                    written = [:]
                    lastRenewal = monotonicSeconds()
                    lastConfirmed = lastRenewal
                    changedIDs.withLock { $0 = nil }
                }
                guard let id = lease else { continue }
                let ids = takeChanged()
                do {
                    if ids?.isEmpty != true {
                        written = try writeVerdicts(ownVerdicts(ids), over: written, complete: ids == nil, lease: id)
                    }
                } catch {
                    // Looked at again on the next try.
                    changedIDs.withLock { $0 = nil }
                    throw error
                }
                if let old = replaced {
                    try? client.leaseRevoke(old)
                    replaced = nil
                }
                try writeAdmin()
                if monotonicSeconds() - lastRenewal >= Self.renewalInterval * 0.9 {
                    _ = try client.leaseKeepAlive(id)
                    renewals.add(1, ordering: .relaxed)
                    lastRenewal = monotonicSeconds()
                    lastConfirmed = lastRenewal
                }
                setConnection(leased: true, reason: nil)
                _ = writerWakeup.wait(timeout: .now() + Self.renewalInterval)
            } catch {
                if isStopping { continue }
                if let error = error as? EtcdError, case .leaseNotFound = error.kind {
                    logger.warning("the fleet lease expired; taking a new one", metadata: ["instance": "\(instance)"])
                    lease = nil
                    replaced = nil
                    lastConfirmed = -Double.infinity
                }
                if lease == nil || monotonicSeconds() - lastConfirmed > Double(leaseTTL) / 2 {
                    setConnection(leased: false, reason: "\(error)")
                }
                dropAdminWritesUnlessConnected()
                _ = writerWakeup.wait(timeout: .now() + Self.retryInterval)
            }
        }
    }

    /// Writes the verdicts that differ from `written` (a status change, a new endpoint, and when `current` is
    /// `complete`, one gone), in transactions of at most `operationsPerTransaction`; returns what etcd now holds.
    private func writeVerdicts(
        _ current: [EndpointKey: VantageVerdict], over written: [EndpointKey: MonitorStatus], complete: Bool,
        lease: Int64
    ) throws(EtcdError) -> [EndpointKey: MonitorStatus] {
        var operations: [EtcdOperation] = []
        var now = written
        for (key, verdict) in current.sorted(by: { $0.key < $1.key }) where written[key] != verdict.status {
            let value = (try? JSONEncoder.fleet.encode(verdict)) ?? Data()
            operations.append(.put(key: keys.health(of: instance, key), value: Array(value), lease: lease))
            now[key] = verdict.status
        }
        for key in written.keys.sorted() where complete && current[key] == nil {
            operations.append(.delete(keys.health(of: instance, key)))
            now[key] = nil
        }
        try commit(operations)
        return now
    }

    /// `operations` in transactions of at most `operationsPerTransaction`.
    private func commit(_ operations: [EtcdOperation]) throws(EtcdError) {
        var start = 0
        while start < operations.count {
            let end = min(operations.count, start + Self.operationsPerTransaction)
            _ = try client.txn(Array(operations[start..<end]))
            writes.add(1, ordering: .relaxed)
            start = end
        }
    }

    /// Writes the queued admin entries, each with an end under a lease of its own that etcd ends then (or later:
    /// etcd has a minimum TTL, and every server expires entries by their `until` anyway). What fails stays queued
    /// for the next try while etcd still counts as reachable.
    private func writeAdmin() throws(EtcdError) {
        let queued = adminWrites.withLock { $0 }
        guard !queued.isEmpty else { return }
        // etcd refuses a transaction that names a key twice: only the last write of each counts.
        let last = Dictionary(queued.enumerated().map { ($1.0, $0) }, uniquingKeysWith: { _, later in later })
        var leases: [Date: Int64] = [:]
        var operations: [EtcdOperation] = []
        for (index, (key, entry)) in queued.enumerated() where last[key] == index {
            guard let entry else {
                operations.append(.delete(keys.admin(key)))
                continue
            }
            var lease: Int64 = 0
            if let until = entry.override.until {
                if let granted = leases[until] {
                    lease = granted
                } else {
                    let seconds = max(1, Int(until.timeIntervalSinceNow.rounded(.up)))
                    lease = try client.leaseGrant(ttl: seconds).id
                    leases[until] = lease
                }
            }
            operations.append(.put(key: keys.admin(key), value: entry.fleetValue, lease: lease))
        }
        try commit(operations)
        adminWrites.withLock { $0.removeFirst(queued.count) }
    }

    private func dropAdminWritesUnlessConnected() {
        guard !isConnected else { return }
        let dropped = adminWrites.withLock { queued in
            defer { queued.removeAll() }
            return queued.count
        }
        if dropped > 0 {
            logger.warning(
                "admin state not written to etcd; it applies on this server only",
                metadata: ["instance": "\(instance)", "entries": "\(dropped)"])
        }
    }

    // MARK: connection state

    private func setConnection(watching: Bool? = nil, leased: Bool? = nil, reason: String?) {
        let changed: FleetConnection? = connection.withLock { parts in
            if let watching { parts.watching = watching }
            if let leased { parts.leased = leased }
            if let reason { parts.reason = reason }
            let isConnected = parts.watching && parts.leased
            guard parts.reported?.isConnected != isConnected else { return nil }
            // Not connected at first, but not worth a report until one side has failed.
            if parts.reported == nil, !isConnected, reason == nil { return nil }
            let state = FleetConnection(
                isConnected: isConnected, since: Date(), reason: isConnected ? nil : parts.reason)
            parts.reported = state
            // Under the lock, so that the two threads' reports reach the publisher in the order they were made
            // (it only queues them).
            update(.connection(state))
            return state
        }
        guard let changed else { return }
        if changed.isConnected {
            logger.notice(
                "fleet connected: routing on the fleet's verdicts",
                metadata: ["instance": "\(instance)", "etcd": "\(client.currentEndpoint)"])
        } else {
            logger.error(
                "etcd cannot be reached; routing on this server's own verdicts until it can",
                metadata: ["instance": "\(instance)", "reason": "\(changed.reason ?? "")"])
        }
    }

    private func sleepUnlessStopping(_ seconds: Double) {
        let end = monotonicSeconds() + seconds
        while !isStopping, monotonicSeconds() < end { usleep(50_000) }
    }
}
