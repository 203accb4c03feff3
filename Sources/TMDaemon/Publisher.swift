import Foundation
import Logging
import Synchronization
import TMConfig
import TMControl
import TMFleet
import TMHealth
import TMRouting
import TMStatus
import TMSystem
import TMWire

/// The single writer of snapshots, on a thread of its own. Probe results and reloads (and, later, fleet and admin
/// events) arrive through its queue; it coalesces what arrives within a few milliseconds, plans and encodes only
/// what changed, swaps the snapshot, logs answer changes, and writes the state file after a burst. The probe
/// thread never waits for any of it.
final class Publisher: Sendable {
    /// How long the first event of a burst waits for others: short, so that failover is not slower.
    static let coalescingWindow = 0.002
    /// The state file is written once a burst of changes has been quiet this long, and never more often than
    /// `stateFileInterval`.
    static let stateFileQuiet = 0.25
    static let stateFileInterval = 0.5

    fileprivate enum Message {
        case health(HealthReport)
        /// `revision`: the fleet revision the configuration was published as; nil for local files.
        case reload(Configuration, revision: Int64?, done: @Sendable (Bool) -> Void)
        /// A reload whose configuration the loader refused: nothing changes but the zone status's reload line (and,
        /// for a fleet revision, its `refused=`).
        case reloadRefused(errorCount: Int, revision: Int64?)
        /// The fleet's verdicts or the link to etcd changed.
        case fleet(FleetUpdate)
        /// From the control socket: applied at once, answered with what it changed.
        case admin(ControlRequest, by: String, done: @Sendable (ControlReply) -> Void)
        case stop(done: @Sendable () -> Void)
    }

    let store: SnapshotStore
    let board = StatusBoard()
    /// Reload outcomes, for metrics.
    let reloads = ReloadCounts()
    /// What happened, for the HTTP interface; kept in the state file.
    let events: EventLog
    /// Filled by the listeners; shown in the zone status, which is posted again when they change (once a second at
    /// most, and only while rate limiting is on).
    let rateLimited = RateLimitCounters()
    static let rateStatusInterval = 1.0
    private let queue = Mutex<[Message]>([])
    private let wakeup = DispatchSemaphore(value: 0)
    private let worker: Mutex<Worker>

    /// The first snapshot is built here, before any listener starts; throws when its answers cannot be encoded.
    /// What status shows of the fleet's verdicts; nil without a fleet.
    let vantage: VantageBoard?

    init(
        configuration: Configuration, revision: Int64? = nil, health: HealthVector, admin: [AdminEntry],
        events: [Event] = [], builder: SnapshotBuilder, monitor: HealthMonitor, stateFile: StateFile, logger: Logger,
        agent: FleetAgent? = nil
    ) throws(AnswerEncodingError) {
        self.events = EventLog(restoring: events)
        var builder = builder
        vantage = configuration.fleet.map { VantageBoard(instance: $0.instance) }
        var worker = Worker(
            builder: builder, monitor: monitor, stateFile: stateFile, logger: logger, admin: AdminTable(entries: admin),
            fleet: configuration.fleet.map { FleetRouting(settings: $0, revision: revision) }, vantage: vantage,
            agent: agent)
        let own = worker.applyingAdmin(to: health, in: ProfileSet(configuration.profiles))
        worker.configureFleet(for: configuration)
        let snapshot = try builder.build(
            configuration, health: worker.routedHealth(own: own), endpointKeys: worker.fleetKeys)
        store = SnapshotStore(snapshot)
        worker.attach(
            builder: builder, store: store, board: board, reloads: reloads, events: self.events,
            rateLimited: rateLimited)
        self.worker = Mutex(worker)
        self.worker.withLock { worker in
            worker.logAnswers(of: snapshot, previous: nil)
            worker.postZoneStatus()
        }
    }

    /// Starts the publisher thread.
    func start() {
        startNamedThread("publisher") { [self] in run() }
    }

    /// From the probe thread: queued, never waited for.
    func healthChanged(_ report: HealthReport) { enqueue(.health(report)) }

    /// A validated configuration: the monitor is reconfigured and every answer built again on the publisher
    /// thread; returns whether it now serves (false when its answers cannot be encoded: the old one keeps serving).
    func reload(_ configuration: Configuration, revision: Int64? = nil) -> Bool {
        let outcome = Mutex<Bool?>(nil)
        let done = DispatchSemaphore(value: 0)
        enqueue(
            .reload(configuration, revision: revision) { succeeded in
                outcome.withLock { $0 = succeeded }
                done.signal()
            })
        done.wait()
        return outcome.withLock { $0 } ?? false
    }

    /// An admin command from the control socket; waits at most `seconds` for the publisher to apply it.
    func admin(_ request: ControlRequest, by: String, within seconds: Double = 5) -> ControlReply {
        let reply = Mutex<ControlReply?>(nil)
        let done = DispatchSemaphore(value: 0)
        enqueue(
            .admin(request, by: by) { answer in
                reply.withLock { $0 = answer }
                done.signal()
            })
        _ = done.wait(timeout: .now() + seconds)
        return reply.withLock { $0 } ?? ControlReply(error: "edgetm did not apply the command within \(Int(seconds)) s")
    }

    /// A reload the loader refused (the errors are logged by the caller): shown in the zone status.
    func reloadRefused(errorCount: Int, revision: Int64? = nil) {
        enqueue(.reloadRefused(errorCount: errorCount, revision: revision))
    }

    /// From the fleet's threads: queued, never waited for.
    func fleetChanged(_ update: FleetUpdate) { enqueue(.fleet(update)) }

    /// Writes what is still unsaved and ends the thread; waits at most `seconds`.
    func stop(within seconds: Double) {
        let done = DispatchSemaphore(value: 0)
        enqueue(.stop { done.signal() })
        _ = done.wait(timeout: .now() + seconds)
    }

    private func enqueue(_ message: Message) {
        queue.withLock { $0.append(message) }
        wakeup.signal()
    }

    private func run() {
        while true {
            // Checked before waiting, so that a stream of events never holds the state file back.
            let now = monotonicSeconds()
            let (stateDue, adminDue, rateDue) = worker.withLock {
                ($0.stateFileDue, $0.adminExpiryDue(now: now), $0.rateStatusDue)
            }
            if let rateDue, rateDue <= now {
                worker.withLock { $0.postRateCounts(now: now) }
                continue
            }
            if let stateDue, stateDue <= now {
                worker.withLock { $0.writeStateFile(now: monotonicSeconds()) }
                continue
            }
            if let adminDue, adminDue <= now {
                worker.withLock { $0.expireAdmin() }
                continue
            }
            if let due = [stateDue, adminDue, rateDue].compactMap({ $0 }).min() {
                guard wakeup.wait(timeout: .now() + (due - now)) == .success else { continue }
            } else {
                wakeup.wait()
            }
            var messages = takeQueued()
            if messages.isEmpty { continue }
            if messages.allSatisfy({
                switch $0 {
                case .health, .fleet: true
                default: false
                }
            }) {
                // Results of one probe round finish within milliseconds of each other: one snapshot for all.
                usleep(useconds_t(Self.coalescingWindow * 1_000_000))
                messages += takeQueued()
            }
            if worker.withLock({ $0.handle(messages) }) { return }
        }
    }

    private func takeQueued() -> [Message] {
        queue.withLock { queue in
            defer { queue.removeAll() }
            return queue
        }
    }
}

/// The publisher thread's state: touched only by that thread (the mutex around it is never contended).
private struct Worker {
    var builder: SnapshotBuilder
    // Set by `attach` once the first snapshot exists; the worker runs only after that.
    private var storeSlot: SnapshotStore?
    private var boardSlot: StatusBoard?
    private var rateLimitedSlot: RateLimitCounters?
    /// The rate limiting counts the posted zone status shows, and when they were last compared.
    private var postedRateCounts: (dropped: UInt64, slipped: UInt64) = (0, 0)
    private var lastRateCheck = 0.0
    var store: SnapshotStore { storeSlot! }
    var board: StatusBoard { boardSlot! }
    private var reloadsSlot: ReloadCounts?
    private var eventsSlot: EventLog?
    let monitor: HealthMonitor
    let stateFile: StateFile
    let logger: Logger
    var generation = 0
    private let started = Date()
    private var unsavedSince: Double?
    private var lastChange = 0.0
    private var lastWrite = -Double.infinity
    private var admin: AdminTable
    /// `admin` resolved for the configuration that serves: laid over every health vector from the monitor.
    private var overrides: [Int: AdminOverride] = [:]
    /// Why the state file cannot be written, while it cannot: logged when it starts or changes, shown in status.
    private var stateFileProblem: String?
    /// The monitor's own verdicts as last reported, with the admin overrides: what routing uses without a fleet, or
    /// while etcd cannot be reached.
    private var own = HealthVector(endpointCount: 0)
    private var fleet: FleetRouting?
    private let vantage: VantageBoard?
    /// Where admin commands given here go to reach the rest of the fleet.
    private let agent: FleetAgent?

    init(
        builder: SnapshotBuilder, monitor: HealthMonitor, stateFile: StateFile, logger: Logger, admin: AdminTable,
        fleet: FleetRouting?, vantage: VantageBoard?, agent: FleetAgent?
    ) {
        self.builder = builder
        self.monitor = monitor
        self.stateFile = stateFile
        self.logger = logger
        self.admin = admin
        self.fleet = fleet
        self.vantage = vantage
        self.agent = agent
    }

    /// Takes a fleet update; returns the health routing now uses and the endpoints whose verdict changed from
    /// `before`, or nil when nothing routing reads changed (the zone status is posted again when its line did).
    mutating func applyFleet(_ update: FleetUpdate, to before: HealthVector) -> (HealthVector, Set<Int>)? {
        guard fleet != nil else { return nil }
        let statusBefore = fleet?.status
        let ids = fleet?.take(update)
        if let fleet { vantage?.post(fleet.view, isActive: fleet.isActive) }
        if case .connection(let connection) = update {
            eventsSlot?.append(
                .fleet, to: connection.isConnected ? "ok" : "local-only", reason: connection.reason)
        }
        if fleet?.status != statusBefore { postZoneStatus() }
        if let ids, ids.isEmpty { return nil }
        let routed = routedHealth(own: own, ids: ids, base: before)
        // Compared whole: a cheap pass over an array of small enums, and the one place that knows what moved.
        let changed = routed.verdicts.indices.filter {
            $0 >= before.verdicts.count || routed.verdicts[$0] != before.verdicts[$0]
        }
        return changed.isEmpty ? nil : (routed, Set(changed))
    }

    /// The serving configuration's endpoint names by id, when this server is in a fleet.
    var fleetKeys: [EndpointKey]? { fleet?.keys }

    /// Endpoint names by id for a new configuration, so that the fleet's verdicts (by name) find their endpoints.
    mutating func configureFleet(for configuration: Configuration) {
        fleet?.configure(
            keys: ServingSnapshot.endpointKeys(of: configuration), rule: configuration.fleet?.degradedWhen)
    }

    /// The health routing uses: `own` alone, or combined with the fleet's verdicts while etcd is reachable. `ids`:
    /// the endpoints whose verdicts may have changed since `base`, which holds the rest; nil: all of them.
    mutating func routedHealth(own: HealthVector, ids: [Int]? = nil, base: HealthVector? = nil) -> HealthVector {
        self.own = own
        guard let fleet, fleet.isActive else { return own }
        let all = ids == nil || base == nil || base?.verdicts.count != own.verdicts.count
        return fleet.view.combined(
            own: own, ownInstance: fleet.instance, keys: fleet.keys, rule: fleet.rule,
            ids: all ? Array(own.verdicts.indices) : ids ?? [], into: all ? own : base ?? own)
    }

    mutating func attach(
        builder: SnapshotBuilder, store: SnapshotStore, board: StatusBoard, reloads: ReloadCounts, events: EventLog,
        rateLimited: RateLimitCounters
    ) {
        self.builder = builder
        reloadsSlot = reloads
        eventsSlot = events
        storeSlot = store
        boardSlot = board
        rateLimitedSlot = rateLimited
        do {
            try stateFile.checkWritable()
        } catch {
            noteStateFileProblem("\(error)")
        }
    }

    /// Resolves the admin state for `profiles` (forgetting, with a log line, entries that name nothing there) and
    /// lays it over `health`.
    mutating func applyingAdmin(to health: HealthVector, in profiles: ProfileSet) -> HealthVector {
        _ = admin.expire(at: Date())
        overrides = resolveAdmin(in: profiles)
        var health = health
        health.overrides = overrides
        return health
    }

    /// The admin state by endpoint id for `profiles`; entries that name nothing there are forgotten, with a log line.
    private mutating func resolveAdmin(in profiles: ProfileSet) -> [Int: AdminOverride] {
        let (resolved, unknown) = admin.resolved(in: profiles)
        for entry in unknown {
            logger.notice("admin state dropped: no such endpoint any more", metadata: Self.metadata(entry))
        }
        admin.remove(unknown)
        return resolved
    }

    /// When the state file should be written next; nil while nothing is unsaved.
    var stateFileDue: Double? {
        guard let unsavedSince else { return nil }
        let quiet = max(lastChange + Publisher.stateFileQuiet, lastWrite + Publisher.stateFileInterval)
        // A burst that never goes quiet is still saved every few seconds.
        return min(quiet, max(unsavedSince + 2, lastWrite + Publisher.stateFileInterval))
    }

    /// Applies a batch of messages in order; returns true after a stop.
    mutating func handle(_ messages: [Publisher.Message]) -> Bool {
        var pending: (health: HealthVector, changed: Set<Int>)?
        for message in messages {
            switch message {
            case .health(let report):
                // A report computed for a configuration that is gone is dropped.
                guard report.generation == generation else { continue }
                var health = report.health
                health.overrides = overrides
                let routed = routedHealth(
                    own: health, ids: report.changed, base: pending?.health ?? store.snapshot.routing.health)
                pending = (routed, (pending?.changed ?? []).union(report.changed))
            case .fleet(.admin(let entries)):
                if let pending { apply(pending.health, changed: pending.changed) }
                pending = nil
                takeFleetAdmin(entries)
            case .fleet(let update):
                let before = pending?.health ?? store.snapshot.routing.health
                guard let (routed, changed) = applyFleet(update, to: before) else { continue }
                pending = (routed, (pending?.changed ?? []).union(changed))
            case .reload(let configuration, let revision, let done):
                if let pending { apply(pending.health, changed: pending.changed) }
                pending = nil
                let succeeded = reload(configuration)
                if succeeded, revision != nil { fleet?.applied(revision) }
                if succeeded, revision == nil, configuration.fleet != nil { fleet?.applied(nil) }
                reloadsSlot?.record(ReloadRecord(time: Date(), succeeded: succeeded, errorCount: succeeded ? 0 : 1))
                eventsSlot?.append(.reload, to: succeeded ? "ok" : "failed", reason: succeeded ? nil : "answers")
                postZoneStatus()
                done(succeeded)
            case .reloadRefused(let errorCount, let revision):
                if let revision { fleet?.refused(revision) }
                reloadsSlot?.record(ReloadRecord(time: Date(), succeeded: false, errorCount: errorCount))
                eventsSlot?.append(
                    .reload, to: "failed",
                    reason: "errors=\(errorCount)" + (revision.map { " revision=\($0)" } ?? ""))
                postZoneStatus()
            case .admin(let request, let by, let done):
                if let pending { apply(pending.health, changed: pending.changed) }
                pending = nil
                done(handleAdmin(request, by: by))
            case .stop(let done):
                if let pending { apply(pending.health, changed: pending.changed) }
                if unsavedSince != nil { writeStateFile(now: monotonicSeconds()) }
                done()
                return true
            }
        }
        if let pending { apply(pending.health, changed: pending.changed) }
        return false
    }

    private mutating func apply(_ health: HealthVector, changed: Set<Int>) {
        let old = store.snapshot
        do {
            guard let (snapshot, profiles) = try builder.update(old, health: health, changed: changed) else { return }
            store.publish(snapshot)
            recordStatusChanges(from: old.routing.health, to: health, of: changed, in: snapshot)
            for index in profiles {
                logAnswer(
                    of: index, in: snapshot, previous: (old.routing[profile: index].decision, old.routing.profiles))
            }
            postZoneStatus()
        } catch {
            logger.error(
                "cannot encode the answers for a health change; the previous answers keep serving",
                metadata: ["error": "\(error)"])
        }
        markUnsaved()
    }

    /// The monitor takes the new configuration first (under the new generation, so that no report for it can be
    /// applied to the old one); if the answers cannot be encoded, the monitor goes back to the old configuration.
    private mutating func reload(_ configuration: Configuration) -> Bool {
        let old = store.snapshot
        generation += 1
        let profiles = ProfileSet(configuration.profiles)
        let own = applyingAdmin(
            to: monitor.configure(
                configuration.profiles, generation: generation,
                sourceAddresses: configuration.probeSourceAddresses), in: profiles)
        configureFleet(for: configuration)
        let health = routedHealth(own: own)
        do {
            let snapshot = try builder.build(configuration, health: health, previous: old, endpointKeys: fleetKeys)
            store.publish(snapshot)
            logAnswers(of: snapshot, previous: old)
            markUnsaved()
            return true
        } catch {
            logger.error("\(error)")
            generation += 1
            let restored = monitor.configure(
                old.configuration.profiles, generation: generation,
                sourceAddresses: old.configuration.probeSourceAddresses)
            overrides = admin.resolved(in: old.routing.profiles).overrides
            configureFleet(for: old.configuration)
            // The old configuration's own verdicts again, so that the next fleet update combines vectors of the
            // configuration that serves.
            var health = restored
            health.overrides = overrides
            self.own = health
            return false
        }
    }

    /// Encodes the zone's status answer for the snapshot that serves now.
    mutating func postZoneStatus() {
        let snapshot = store.snapshot
        let zone = snapshot.configuration.zone.apex
        let rateCounts = rateLimitedSlot?.totals ?? (0, 0)
        postedRateCounts = rateCounts
        var input = StatusInput(
            zone: zone, routing: snapshot.routing, generation: generation, started: started,
            lastReload: reloadsSlot?.last.record,
            stateFileProblem: stateFileProblem.map { (stateFile.url.path, $0) },
            rateLimited: snapshot.configuration.rateLimit == nil ? nil : rateCounts)
        input.fleet = fleet?.status
        vantage?.status = input.fleet
        board.post(PreparedStatus(name: zone, lines: StatusReport.zone(input)))
    }

    /// While rate limiting is on: when the counts the listeners hand over are next compared with the posted ones.
    var rateStatusDue: Double? {
        store.snapshot.configuration.rateLimit == nil ? nil : lastRateCheck + Publisher.rateStatusInterval
    }

    mutating func postRateCounts(now: Double) {
        lastRateCheck = now
        let counts = rateLimitedSlot?.totals ?? (0, 0)
        if counts != postedRateCounts { postZoneStatus() }
    }

    private mutating func markUnsaved() {
        let now = monotonicSeconds()
        lastChange = now
        if unsavedSince == nil { unsavedSince = now }
    }

    mutating func writeStateFile(now: Double) {
        unsavedSince = nil
        lastWrite = now
        do {
            try stateFile.write(monitor.savedHealth(), admin: admin.entries, events: eventsSlot?.recent ?? [])
            if stateFileProblem != nil {
                stateFileProblem = nil
                logger.notice("the state file is written again", metadata: ["state.file": "\(stateFile.url.path)"])
                postZoneStatus()
            }
        } catch {
            noteStateFileProblem("\(error)")
        }
    }

    /// An event per endpoint whose monitor verdict changed, with the probe result that changed it.
    private func recordStatusChanges(
        from old: HealthVector, to new: HealthVector, of endpoints: Set<Int>, in snapshot: ServingSnapshot
    ) {
        for id in endpoints.sorted() where id < snapshot.endpointKeys.count && old[id] != new[id] {
            let key = snapshot.endpointKeys[id]
            eventsSlot?.append(
                .endpointStatus, profile: key.profile, endpoint: key.endpoint, from: old[id].rawValue,
                to: new[id].rawValue, reason: monitor.endpoint(id)?.lastResult?.description)
        }
    }

    /// When, on the monotonic clock, the next admin entry expires.
    func adminExpiryDue(now: Double) -> Double? {
        admin.nextExpiry.map { now + max(0, $0.timeIntervalSinceNow) }
    }

    mutating func expireAdmin() {
        let expired = admin.expire(at: Date())
        for entry in expired {
            logger.notice("admin state expired", metadata: Self.metadata(entry))
            eventsSlot?.append(.admin, profile: entry.profile, endpoint: entry.endpoint, to: "expired")
        }
        if !expired.isEmpty { republishAdmin() }
    }

    private mutating func handleAdmin(_ request: ControlRequest, by: String) -> ControlReply {
        let profiles = store.snapshot.routing.profiles
        let result: Result<[AdminEntry], ControlError>
        switch request.command {
        case .list:
            return ControlReply(entries: admin.entries)
        case .clear:
            guard let profile = request.profile, let endpoint = request.endpoint else {
                return ControlReply(error: "clear needs a profile and an endpoint")
            }
            result = admin.clear(profile: profile, endpoint: endpoint)
        case .drain, .forceUp, .forceDown:
            guard let action = request.command.action, let profile = request.profile, let endpoint = request.endpoint
            else { return ControlReply(error: "\(request.command.rawValue) needs a profile and an endpoint") }
            if let seconds = request.seconds, !(seconds > 0) {
                return ControlReply(error: "the duration must be more than 0 seconds")
            }
            result = admin.set(
                action, profile: profile, endpoint: endpoint, until: request.seconds.map { Date() + $0 },
                reason: request.reason, by: by, in: profiles)
        }
        switch result {
        case .failure(let error):
            return ControlReply(error: error.description)
        case .success(let entries):
            let cleared = request.command == .clear
            noteAdmin(entries, cleared: cleared, by: by)
            republishAdmin()
            // Applied here first, so that neither the reply nor this server's answers wait for etcd.
            let shared = agent?.adminChanged(set: cleared ? [] : entries, cleared: cleared ? entries : [])
            return ControlReply(
                entries: entries,
                warning: shared == false ? "applied on this server only: etcd cannot be reached" : nil)
        }
    }

    /// The fleet's admin state becomes this server's; what changed is logged as if given here, by whom the entry
    /// says. Entries whose time is up are left out: etcd may end their lease later than their `until`.
    private mutating func takeFleetAdmin(_ entries: [AdminEntry]) {
        guard fleet != nil else { return }
        // Whatever is due expires first, so that what the fleet no longer has was cleared on another server.
        expireAdmin()
        let now = Date()
        // What this server was told and has not yet written is laid over: the fleet's set does not know it yet.
        var fleetSet = Dictionary(
            entries.map { (EndpointKey(profile: $0.profile, endpoint: $0.endpoint), $0) }, uniquingKeysWith: { $1 })
        for (key, entry) in agent?.pendingAdminWrites ?? [] { fleetSet[key] = entry }
        let (set, removed) = admin.replace(with: fleetSet.values.filter { !$0.isExpired(at: now) })
        noteAdmin(set, cleared: false, fromFleet: true)
        noteAdmin(removed, cleared: true, fromFleet: true)
        if !set.isEmpty || !removed.isEmpty { republishAdmin() }
    }

    /// A log line and an event per entry set or cleared. `by`: who gave the command here; for the fleet's changes
    /// the entry's own `by`.
    private func noteAdmin(_ entries: [AdminEntry], cleared: Bool, by: String? = nil, fromFleet: Bool = false) {
        for entry in entries {
            let by = by ?? entry.override.by
            var metadata = Self.metadata(entry)
            metadata["by"] = "\(by)"
            if fromFleet { metadata["via"] = "fleet" }
            logger.notice(cleared ? "admin state cleared" : "admin state set", metadata: metadata)
            eventsSlot?.append(
                .admin, profile: entry.profile, endpoint: entry.endpoint,
                to: cleared ? "cleared" : entry.override.action.rawValue,
                reason: [entry.override.reason, "by \(by)", fromFleet ? "via the fleet" : nil].compactMap { $0 }
                    .joined(separator: "; "))
        }
    }

    /// The serving snapshot again with the admin state as it is now; only endpoints whose override changed are
    /// planned again.
    private mutating func republishAdmin() {
        let health = store.snapshot.routing.health
        let before = overrides
        overrides = resolveAdmin(in: store.snapshot.routing.profiles)
        let changed = Set(before.keys).union(overrides.keys).filter { before[$0] != overrides[$0] }
        var updated = health
        updated.overrides = overrides
        own.overrides = overrides
        apply(updated, changed: changed)
        markUnsaved()
    }

    private static func metadata(_ entry: AdminEntry) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "profile": "\(entry.profile)", "endpoint": "\(entry.endpoint)",
            "admin": "\(entry.override.action.rawValue)", "by": "\(entry.override.by)",
        ]
        if let reason = entry.override.reason { metadata["reason"] = "\(reason)" }
        if let until = entry.override.until { metadata["until"] = "\(ISO8601DateFormatter().string(from: until))" }
        return metadata
    }

    /// The same problem on every write is logged once; health is still served, only not kept across restarts.
    private mutating func noteStateFileProblem(_ reason: String) {
        guard reason != stateFileProblem else { return }
        stateFileProblem = reason
        logger.error(
            "cannot write the state file; endpoint health will not survive a restart",
            metadata: ["state.file": "\(stateFile.url.path)", "reason": "\(reason)"])
        postZoneStatus()
    }

    /// One line per profile whose answer or reason differs from `previous` (matched by profile name); every
    /// profile without a previous snapshot.
    func logAnswers(of snapshot: ServingSnapshot, previous: ServingSnapshot?) {
        for index in snapshot.routing.profiles.profiles.indices {
            let name = snapshot.routing.profiles[index].name
            let before = previous.flatMap { old in
                // Most profiles keep their place across a reload: the lookup by name is for those that moved.
                let sameIndex = index < old.routing.profiles.count && old.routing.profiles[index].name == name
                return (sameIndex ? index : old.routing.profiles.index(named: name)).map {
                    (old.routing[profile: $0].decision, old.routing.profiles)
                }
            }
            logAnswer(of: index, in: snapshot, previous: before, always: previous == nil)
        }
    }

    /// Fail-open is a warning, since every endpoint is down.
    private func logAnswer(
        of index: Int, in snapshot: ServingSnapshot, previous: (Decision, ProfileSet)?,
        always: Bool = false
    ) {
        let profiles = snapshot.routing.profiles
        let profile = profiles[index]
        let decision = snapshot.routing[profile: index].decision
        guard always || previous?.0 != decision else { return }
        var metadata: Logger.Metadata = [
            "profile": "\(profile.name)", "name": "\(profile.fqdn)",
            "endpoint": "\(Self.answered(decision, in: profiles))",
            "reason": "\(DecisionText.reason(decision, method: profile.method, in: profiles))",
        ]
        if let (decision, profiles) = previous { metadata["was"] = "\(DecisionText.answer(decision, in: profiles))" }
        if decision.failsOpen {
            logger.warning("every enabled endpoint is Degraded; failing open", metadata: metadata)
        } else {
            logger.notice("profile answer", metadata: metadata)
        }
        guard let (before, beforeProfiles) = previous else { return }
        eventsSlot?.append(
            .answer, profile: profile.name, from: DecisionText.answer(before, in: beforeProfiles),
            to: DecisionText.answer(decision, in: profiles),
            reason: DecisionText.reason(decision, method: profile.method, in: profiles))
        if decision.failsOpen != before.failsOpen {
            eventsSlot?.append(decision.failsOpen ? .failOpenEntered : .failOpenLeft, profile: profile.name)
        }
    }

    /// `name (target)` of the endpoint answered, or what DecisionText says when there is not exactly one.
    private static func answered(_ decision: Decision, in profiles: ProfileSet) -> String {
        guard !decision.isPerQuery, let id = decision.steps.last?.reason.endpoint,
            let (_, endpoint) = profiles.endpoint(id), endpoint.nested == nil
        else { return DecisionText.answer(decision, in: profiles) }
        return "\(endpoint.name) (\(endpoint.target))"
    }
}
