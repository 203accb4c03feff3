import Foundation
import Logging
import Synchronization
import TMConfig
import TMFleet
import TMHealth
import TMRouting

/// A server's membership of a fleet: its agent (the etcd threads), the newest configuration revision etcd holds,
/// the one that serves, and the cache of it. Configuration revisions become reloads on the reload thread, like a
/// SIGHUP; everything else the agent reports goes to the publisher's queue.
final class FleetMembership: Sendable {
    let agent: FleetAgent
    let cache: FleetCache
    /// As the server started with: only `degradedWhen` follows a reload.
    let settings: FleetSettings
    private let logger: Logger
    private let shared = Shared()

    /// Also reached from the agent's update closure, which exists before `self` does.
    private final class Shared: Sendable {
        let revisions = Mutex(Revisions())
        let targets = Mutex<(publisher: Publisher?, reloads: ReloadRequests?)>((nil, nil))
    }

    private struct Revisions {
        /// The newest published configuration known (from etcd, or the cache at start); nil: none, the local
        /// files serve.
        var newest: (documents: ConfigDocuments, revision: Int64)?
        var applied: Int64?
    }

    init(
        settings: FleetSettings, configuration: Configuration, monitor: HealthMonitor, cache: FleetCache,
        role: String, logger: Logger
    ) {
        self.cache = cache
        self.logger = logger
        self.settings = settings
        let shared = shared
        let presence = [
            "role": role, "version": Daemon.version, "started": ISO8601DateFormatter().string(from: Date()),
            "probeSourceAddress": configuration.probeSourceAddresses.map(\.description).joined(separator: ","),
        ]
        agent = FleetAgent(
            settings: settings, longestInterval: Self.longestInterval(configuration), presence: presence,
            logger: logger, ownVerdicts: { monitor.vantageVerdicts(ids: $0) },
            update: { update in
                let (publisher, reloads) = shared.targets.withLock { $0 }
                guard case .config(let documents, let revision) = update else {
                    publisher?.fleetChanged(update)
                    return
                }
                // The watch has just read the whole prefix (50 MB of JSON at 20,000 profiles): give back what that
                // parse left, as after a reload.
                Daemon.returnFreedMemorySoon()
                // Nothing published (or everything deleted): the configuration that serves stays.
                guard let documents else { return }
                let isNew = shared.revisions.withLock { state in
                    let known = state.newest?.revision == revision
                    // Kept even when known: the watch's copy is the one it holds anyway, and the copy read at start
                    // (38 MB at 20,000 profiles) can go.
                    state.newest = (documents, revision)
                    return !known && state.applied != revision
                }
                if isNew { reloads?.request() }
            })
    }

    static func longestInterval(_ configuration: Configuration) -> Double {
        configuration.profiles.map(\.monitor.intervalSeconds).max() ?? 30
    }

    /// Where the first configuration comes from: the revision etcd holds now, else (etcd unreachable, or its
    /// revision refused) the cached one, else the local files. `load` validates published documents against the
    /// local server section. Returns the configuration, its revision, and a revision refused on the way.
    func startingConfiguration(
        local: Configuration, load: (ConfigDocuments, Int64) -> (Configuration?, errors: Int)
    ) -> (configuration: Configuration, revision: Int64?, refused: (revision: Int64, errors: Int)?) {
        var refused: (revision: Int64, errors: Int)?
        if let (documents, revision) = agent.fetchConfig() {
            guard let documents else {
                logger.notice("nothing published in etcd yet; serving the local files")
                return (local, nil, nil)
            }
            let (configuration, errors) = load(documents, revision)
            if let configuration {
                applied(documents, revision: revision)
                return (configuration, revision, nil)
            }
            refused = (revision, errors)
        }
        switch cache.read() {
        case .success(let cached):
            let (configuration, errors) = load(cached.documents, cached.revision)
            if let configuration {
                logger.notice(
                    "serving the cached fleet revision",
                    metadata: ["revision": "\(cached.revision)", "cache": "\(cache.url.path)"])
                shared.revisions.withLock {
                    $0 = Revisions(newest: (cached.documents, cached.revision), applied: cached.revision)
                }
                return (configuration, cached.revision, refused)
            }
            logger.error(
                "the cached fleet revision is refused",
                metadata: ["revision": "\(cached.revision)", "errors": "\(errors)"])
        case .failure(let problem):
            logger.warning("no cached fleet revision; serving the local files", metadata: ["reason": "\(problem)"])
        }
        return (local, nil, refused)
    }

    /// The agent reports to these from now on; its threads start.
    func start(publisher: Publisher, reloads: ReloadRequests) {
        shared.targets.withLock { $0 = (publisher, reloads) }
        agent.start()
    }

    /// What a reload should load: the newest revision, or nil for the local files.
    var newest: (documents: ConfigDocuments, revision: Int64)? { shared.revisions.withLock { $0.newest } }

    /// A revision now serves: cached (a failure to write the cache is logged; serving goes on).
    func applied(_ documents: ConfigDocuments, revision: Int64) {
        let changed = shared.revisions.withLock { state in
            defer { state.applied = revision }
            if state.newest == nil || state.newest!.revision < revision { state.newest = (documents, revision) }
            return state.applied != revision
        }
        guard changed else { return }
        do {
            try cache.write(documents, revision: revision)
        } catch {
            logger.error(
                "cannot write the fleet revision cache; a restart while etcd is down will serve the local files",
                metadata: ["cache": "\(cache.url.path)", "error": "\(error)"])
        }
    }
}

extension FleetSettings {
    /// Everything but `degradedWhen`, which a reload applies.
    func sameMembership(as other: FleetSettings) -> Bool {
        etcd == other.etcd && prefix == other.prefix && instance == other.instance && caFile == other.caFile
            && certFile == other.certFile && keyFile == other.keyFile
    }
}
