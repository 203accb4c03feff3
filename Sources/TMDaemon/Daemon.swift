import Foundation
import Logging
import TMConfig
import TMControl
import TMFleet
import TMHTTP
import TMHealth
import TMRouting
import TMSystem
import TMWire

#if canImport(Glibc)
import Glibc
#endif

/// How `edgetm serve` was asked to run.
public struct DaemonOptions: Sendable {
    public var configDirectory: String
    /// Replaces the configuration's `listen` addresses when not empty.
    public var listenOverride: [ListenAddress]
    /// UDP listener threads per address, each on its own SO_REUSEPORT socket.
    public var udpThreads: Int
    /// The control socket's path; nil: `ControlSocketPath.forDaemon`'s rule.
    public var controlPath: String?
    /// False for `edgetm probe`: a vantage point of a fleet that probes and publishes verdicts but serves no DNS.
    public var answersDNS = true

    public init(
        configDirectory: String, listenOverride: [ListenAddress] = [],
        udpThreads: Int = allowedCPUCount()
    ) {
        self.configDirectory = configDirectory
        self.listenOverride = listenOverride
        self.udpThreads = max(1, udpThreads)
    }
}

/// The serving daemon: loads the configuration, restores saved health, binds the listeners, starts probing,
/// tells systemd when it is ready, then waits for signals (SIGHUP reloads, on a thread of its own; SIGTERM and SIGINT
/// stop, whatever a reload is doing).
public final class Daemon: Sendable {
    public static let version = "0.1.0"

    private let options: DaemonOptions
    private let logger: Logger
    private let identity: ServerIdentity
    private let notifier = SystemdNotifier()
    private let reloads = ReloadRequests()

    public init(options: DaemonOptions, logger: Logger) {
        self.options = options
        self.logger = logger
        identity = ServerIdentity(version: "edgetm \(Self.version)", hostname: HostName.current() ?? "edgetm")
    }

    /// Runs until SIGTERM or SIGINT; returns the process exit status.
    public func run() -> Int32 {
        // Blocked before any thread starts, so every thread inherits the mask and only `sigwait` below sees them.
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&signals, signal) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)

        // Started in a function of its own, so that the first configuration is not held here for the whole run:
        // after a reload only the publisher's snapshot keeps one.
        guard let (publisher, monitor, serving, control, fleet) = start() else { return 1 }
        reloads.serve { [self] in
            notifier.notify("RELOADING=1")
            reload(publisher: publisher, serving: serving, fleet: fleet)
            notifier.notify("READY=1")
        }
        while true {
            var received: Int32 = 0
            guard sigwait(&signals, &received) == 0 else { continue }
            if received == SIGHUP {
                reloads.request()
            } else {
                notifier.notify("STOPPING=1")
                logger.notice("stopping", metadata: ["signal": "\(received == SIGTERM ? "SIGTERM" : "SIGINT")"])
                control?.remove()
                monitor.stop()
                // The lease is revoked if etcd answers at once, so that the others stop counting this server.
                fleet?.agent.stop(within: Self.fleetStopWait)
                // Unsaved health is written if the publisher is free; a reload it is building can take seconds,
                // and a stop must not wait for that (the state file is at most a few seconds old anyway).
                publisher.stop(within: Self.stopWait)
                return 0
            }
        }
    }

    /// How long a stop waits for the publisher's last state file write.
    static let stopWait = 0.5
    /// How long a stop waits for etcd to revoke the lease; a dead etcd lets it expire instead.
    static let fleetStopWait = 1.0

    /// Loads the configuration, restores saved health, builds the first snapshot, binds the listeners, starts
    /// probing and publishing, and tells systemd when ready; nil (after logging why) when any of it fails. Returns
    /// the addresses it serves, which no reload changes.
    private func start() -> (Publisher, HealthMonitor, [ListenAddress], ControlServer?, FleetMembership?)? {
        guard let local = load(reason: "start") else { return nil }
        Self.raiseFileLimit()
        let stateFile = StateFile(configured: local.stateFile, configDirectory: options.configDirectory)
        let monitor: HealthMonitor
        do {
            monitor = try HealthMonitor(logger: logger)
        } catch {
            logger.error("cannot start", metadata: ["error": "\(error)"])
            return nil
        }
        let fleet = local.fleet.map { settings in
            FleetMembership(
                settings: settings, configuration: local, monitor: monitor, cache: FleetCache(beside: stateFile),
                role: options.answersDNS ? "server" : "probe", logger: logger)
        }
        let (configuration, revision, refused) =
            fleet?.startingConfiguration(local: local) { documents, revision in
                load(reason: "start", published: (documents, revision))
            } ?? (local, nil, nil)
        let publisher: Publisher
        do {
            let (saved, kept) = restoredState(stateFile, maxAge: configuration.stateMaxAgeSeconds)
            let health = monitor.configure(
                configuration.profiles, generation: 0, restoring: saved,
                sourceAddresses: configuration.probeSourceAddresses)
            publisher = try Publisher(
                configuration: configuration, revision: revision, health: health, admin: kept.admin,
                events: kept.events, builder: SnapshotBuilder(identity: identity), monitor: monitor,
                stateFile: stateFile, logger: logger, agent: fleet?.agent)
        } catch {
            logger.error("cannot start", metadata: ["error": "\(error)"])
            return nil
        }
        if let refused { publisher.reloadRefused(errorCount: refused.errors, revision: refused.revision) }
        let counters = AnswerCounters()
        func status(rendersProfiles: Bool) -> DaemonStatus {
            DaemonStatus(
                store: publisher.store, board: publisher.board, monitor: monitor, counters: counters,
                vantage: publisher.vantage, rendersProfiles: rendersProfiles)
        }
        let desk = StatusDesk(store: publisher.store, status: status(rendersProfiles: true))
        let heartbeat = Heartbeat()
        let queries = QueryCounters()
        let context = ListenerContext(
            store: publisher.store, status: status(rendersProfiles: false), desk: desk, counters: counters,
            queries: queries, rateLimited: publisher.rateLimited, heartbeat: heartbeat)
        let addresses =
            !options.answersDNS ? [] : options.listenOverride.isEmpty ? configuration.listen : options.listenOverride
        do {
            try startListeners(on: addresses, context: context)
        } catch {
            logger.error("cannot serve", metadata: ["error": "\(error)"])
            return nil
        }
        logger.notice(
            options.answersDNS ? "serving" : "probing (a vantage point: no DNS is served)",
            metadata: [
                "zone": "\(configuration.zone.apex)", "profiles": "\(configuration.profiles.count)",
                "listen": "\(addresses.map(\.description).joined(separator: " "))",
                "state.file": "\(stateFile.url.path)",
                "udp.threads": "\(options.udpThreads)",
            ])
        publisher.start()
        desk.start()
        let control = startControl(publisher: publisher)
        if let http = configuration.http {
            guard startHTTP(http, publisher: publisher, monitor: monitor, context: context, fleet: fleet?.agent)
            else { return nil }
        }
        fleet?.agent.configurationChanged(longestInterval: FleetMembership.longestInterval(configuration))
        fleet?.start(publisher: publisher, reloads: reloads)
        let agent = fleet?.agent
        startNamedThread("probes") {
            monitor.run { report in
                publisher.healthChanged(report)
                agent?.verdictsChanged(report.changed)
            }
        }
        announceReady(monitor: monitor, configuration: configuration)
        startWatchdog(heartbeat: heartbeat)
        return (publisher, monitor, addresses, control, fleet)
    }

    /// The HTTP interface; false (after logging why) when an address cannot be bound, which stops the start like a
    /// DNS address that cannot be bound.
    private func startHTTP(
        _ settings: HTTPSettings, publisher: Publisher, monitor: HealthMonitor, context: ListenerContext,
        fleet: FleetAgent?
    ) -> Bool {
        let routes = DaemonRoutes(
            publisher: publisher, monitor: monitor, context: context, started: Date(), version: Daemon.version,
            fleet: fleet
        ).routes
        do {
            let server = try HTTPServer.start(
                listen: settings.listen.map { ($0.ipAddress, $0.port) }, allow: settings.allow, routes: routes,
                logger: logger)
            logger.notice("serving HTTP", metadata: ["listen": "\(server.bound.joined(separator: " "))"])
            return true
        } catch {
            logger.error("cannot serve", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// The control socket for `edgetm admin`; without it DNS is still served (admin commands then say the daemon
    /// is not running), so a failure is logged, not fatal.
    private func startControl(publisher: Publisher) -> ControlServer? {
        let path = ControlSocketPath.forDaemon(
            explicit: options.controlPath, configDirectory: options.configDirectory,
            environment: ProcessInfo.processInfo.environment)
        do {
            let control = try ControlServer(path: path, publisher: publisher)
            control.start()
            logger.notice("control socket", metadata: ["path": "\(path)"])
            return control
        } catch {
            logger.error("no control socket; edgetm admin cannot reach this server", metadata: ["error": "\(error)"])
            return nil
        }
    }

    private func load(reason: String) -> Configuration? { load(reason: reason, published: nil).configuration }

    /// `published`: a fleet revision's documents, validated with the local `edgetm.json`. Also returns how many
    /// errors refused it, for the status of a refused revision.
    private func load(reason: String, published: (ConfigDocuments, Int64)?) -> (
        configuration: Configuration?, errors: Int
    ) {
        let result = ConfigLoader.load(
            directory: options.configDirectory, source: published.map { Self.source($0.0, revision: $0.1) })
        for warning in result.warnings { logger.warning("\(warning)") }
        for error in result.errors { logger.error("\(error)") }
        if result.configuration == nil {
            var metadata: Logger.Metadata = [
                "config.directory": "\(options.configDirectory)", "errors": "\(result.errors.count)",
                "during": "\(reason)",
            ]
            if let published { metadata["revision"] = "\(published.1)" }
            logger.error("configuration refused", metadata: metadata)
        }
        return (result.configuration.flatMap(creatingCookieSecret), result.errors.count)
    }

    /// Issues in a published revision name it: `etcd revision 42: app.json: ...`.
    static func source(_ documents: ConfigDocuments, revision: Int64) -> DocumentSource {
        DocumentSource(documents, origin: "etcd revision \(revision): ")
    }

    /// The configuration with its cookie secret, created (random, mode 0600) when cookies are on and the file does
    /// not exist yet; nil (after logging why) when it cannot be written.
    private func creatingCookieSecret(_ configuration: Configuration) -> Configuration? {
        guard let cookies = configuration.cookies, cookies.secret == nil else { return configuration }
        do {
            let secret = try CookieSecretFile.create(atPath: cookies.secretFile)
            logger.notice("created a DNS cookie secret", metadata: ["cookies.secret.file": "\(cookies.secretFile)"])
            return configuration.withCookieSecret(secret)
        } catch {
            logger.error(
                "cannot create the DNS cookie secret",
                metadata: ["cookies.secret.file": "\(cookies.secretFile)", "error": "\(error)"])
            return nil
        }
    }

    private func restoredState(_ stateFile: StateFile, maxAge: Double) -> ([SavedHealth], StateFile.Kept) {
        let (saved, kept): ([SavedHealth], StateFile.Kept)
        switch stateFile.read(maxAge: maxAge) {
        case .restored(let health, let entries):
            logger.notice(
                "restored endpoint health",
                metadata: [
                    "endpoints": "\(health.count)",
                    "state.file": "\(stateFile.url.path)",
                ])
            (saved, kept) = (health, entries)
        case .ignored(let reason, let entries):
            logger.warning("starting without saved health", metadata: ["reason": "\(reason)"])
            (saved, kept) = ([], entries)
        }
        if !kept.admin.isEmpty {
            logger.notice("restored admin state", metadata: ["entries": "\(kept.admin.count)"])
        }
        return (saved, kept)
    }

    private func startListeners(on addresses: [ListenAddress], context: ListenerContext) throws {
        // Bind everything first, so that a failure leaves no thread running.
        let shared = options.udpThreads > 1
        let sockets = try addresses.map { address in
            (
                address,
                try (0..<options.udpThreads).map { _ in try Socket.bound(address, stream: false, sharedPort: shared) },
                try Socket.bound(address, stream: true)
            )
        }
        for (address, udp, tcp) in sockets {
            for (index, fd) in udp.enumerated() {
                UDPListener(fd: fd, context: context).start(name: "udp\(index) \(address.port)")
            }
            TCPListener(fd: tcp, context: context).start(name: "tcp \(address.port)")
        }
    }

    /// Ready means listening and the first probe round done (bounded by the longest probe timeout), so that
    /// systemd's dependents never see answers for endpoints nobody has looked at.
    private func announceReady(monitor: HealthMonitor, configuration: Configuration) {
        let longest = configuration.profiles.map(\.monitor.timeoutSeconds).max() ?? 0
        let complete = monitor.waitForFirstRound(within: longest + 0.5)
        logger.notice("ready", metadata: ["firstProbeRound": "\(complete ? "complete" : "timed out")"])
        notifier.notify("READY=1\nSTATUS=serving \(configuration.profiles.count) profiles")
        Self.returnFreedMemorySoon()
    }

    /// Pings systemd's watchdog at half its interval, only while every listener loop is going round.
    private func startWatchdog(heartbeat: Heartbeat) {
        guard let interval = SystemdNotifier.watchdogInterval() else { return }
        let notifier = notifier
        let logger = logger
        startNamedThread("watchdog") {
            while true {
                if heartbeat.allAlive(within: max(interval / 2, 2.5)) {
                    notifier.notify("WATCHDOG=1")
                } else {
                    logger.error("a listener stopped going round; withholding the watchdog ping")
                }
                usleep(useconds_t(interval / 2 * 1_000_000))
            }
        }
    }

    /// Everything is validated before anything changes; a refused configuration leaves the old one serving.
    /// `serving`: the addresses bound at start.
    /// For a server of a fleet, the profiles come from the newest revision published (the local files until one
    /// is); a SIGHUP reads the local `edgetm.json` again with it.
    private func reload(publisher: Publisher, serving: [ListenAddress], fleet: FleetMembership?) {
        defer { Self.returnFreedMemorySoon() }
        let started = monotonicSeconds()
        let published = fleet?.newest
        let result = ConfigLoader.load(
            directory: options.configDirectory,
            source: published.map { Self.source($0.documents, revision: $0.revision) })
        let loaded = monotonicSeconds()
        for warning in result.warnings { logger.warning("\(warning)") }
        guard let configuration = result.configuration.flatMap(creatingCookieSecret) else {
            for error in result.errors { logger.error("\(error)") }
            var metadata: Logger.Metadata = ["errors": "\(result.errors.count)"]
            if let published { metadata["revision"] = "\(published.revision)" }
            logger.error("reload failed; the running configuration keeps serving", metadata: metadata)
            publisher.reloadRefused(errorCount: result.errors.count, revision: published?.revision)
            return
        }
        // Listeners are bound once, at start, and a listener thread cannot yet be stopped on its own: a changed
        // `listen` is reported on every reload (compared with what is bound) until a restart applies it.
        if options.listenOverride.isEmpty, configuration.listen != serving {
            logger.warning(
                "listen addresses changed; a restart is needed to apply them, the old addresses keep serving",
                metadata: [
                    "listen.serving": "\(serving.map(\.description).joined(separator: " "))",
                    "listen.configured": "\(configuration.listen.map(\.description).joined(separator: " "))",
                ])
        }
        if let running = fleet?.settings, let configured = configuration.fleet,
            !running.sameMembership(as: configured)
        {
            logger.warning(
                "the fleet section changed; a restart is needed to apply it (degradedWhen applies now)",
                metadata: ["instance.serving": "\(running.instance)", "instance.configured": "\(configured.instance)"])
        } else if fleet != nil, configuration.fleet == nil {
            logger.warning("the fleet section was removed; a restart is needed to leave the fleet")
        }
        guard publisher.reload(configuration, revision: published?.revision) else {
            logger.error("reload failed; the running configuration keeps serving", metadata: ["errors": "1"])
            return
        }
        if let published { fleet?.applied(published.documents, revision: published.revision) }
        fleet?.agent.configurationChanged(longestInterval: FleetMembership.longestInterval(configuration))
        var metadata: Logger.Metadata = [
            "profiles": "\(configuration.profiles.count)",
            "load.seconds": "\(Self.seconds(loaded - started))",
            "apply.seconds": "\(Self.seconds(monotonicSeconds() - loaded))",
        ]
        if let published { metadata["revision"] = "\(published.revision)" }
        logger.notice("reloaded", metadata: metadata)
    }

    /// Once every listener has moved to the new snapshot (they look at least once a second), the memory of the old
    /// one and of the loader's documents is free: give it back, or resident memory stays at the reload's peak.
    static func returnFreedMemorySoon() {
        startNamedThread("trim") {
            usleep(1_500_000)
            returnFreedMemory()
        }
    }

    private static func seconds(_ value: Double) -> String { String(format: "%.3f", value) }

    /// Probes and TCP clients each hold a descriptor: take the hard limit rather than the soft 1024.
    static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
