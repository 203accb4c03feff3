import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import TMConfig
import TMHealth
import TMRouting
import TMWire

/// How `edgetm serve` was asked to run.
public struct DaemonOptions: Sendable {
    public var configDirectory: String
    /// Replaces the configuration's `listen` addresses when not empty.
    public var listenOverride: [ListenAddress]

    public init(configDirectory: String, listenOverride: [ListenAddress] = []) {
        self.configDirectory = configDirectory
        self.listenOverride = listenOverride
    }
}

/// The serving daemon: loads the configuration, binds the listeners, then waits for signals
/// (SIGHUP reloads, SIGTERM and SIGINT stop).
public final class Daemon {
    public static let version = "0.1.0"

    private let options: DaemonOptions
    private let logger: Logger
    private let identity: ServerIdentity

    public init(options: DaemonOptions, logger: Logger) {
        self.options = options
        self.logger = logger
        identity = ServerIdentity(version: "edgetm \(Self.version)", hostname: Self.hostname())
    }

    /// Runs until SIGTERM or SIGINT; returns the process exit status.
    public func run() -> Int32 {
        // Blocked before any thread starts, so every thread inherits the mask and only `sigwait` below sees them.
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&signals, signal) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)

        guard let configuration = load(reason: "start") else { return 1 }
        let publisher = Publisher(configuration: configuration,
                                  health: HealthVector(endpointCount: configuration.endpointCount),
                                  builder: SnapshotBuilder(identity: identity), logger: logger)
        let store = publisher.store
        let addresses = options.listenOverride.isEmpty ? configuration.listen : options.listenOverride
        do {
            try startListeners(on: addresses, store: store)
        } catch {
            logger.error("cannot serve", metadata: ["error": "\(error)"])
            return 1
        }
        logger.notice("serving", metadata: [
            "zone": "\(configuration.zone.apex)", "profiles": "\(configuration.profiles.count)",
            "listen": "\(addresses.map(\.description).joined(separator: " "))",
        ])
        logAnswers(store.snapshot)
        let monitor = HealthMonitor(logger: logger) { publisher.healthChanged($0) }
        monitor.configure(configuration.profiles, generation: 0)
        monitor.start()
        while true {
            var received: Int32 = 0
            guard sigwait(&signals, &received) == 0 else { continue }
            if received == SIGHUP {
                reload(publisher: publisher, monitor: monitor)
            } else {
                logger.notice("stopping", metadata: ["signal": "\(received == SIGTERM ? "SIGTERM" : "SIGINT")"])
                return 0
            }
        }
    }

    private func load(reason: String) -> Configuration? {
        let result = ConfigLoader.load(directory: options.configDirectory)
        for warning in result.warnings { logger.warning("\(warning)") }
        for error in result.errors { logger.error("\(error)") }
        if result.configuration == nil {
            logger.error("configuration refused", metadata: [
                "config.directory": "\(options.configDirectory)", "errors": "\(result.errors.count)", "during": "\(reason)",
            ])
        }
        return result.configuration
    }

    private func startListeners(on addresses: [ListenAddress], store: SnapshotStore) throws {
        // Bind everything first, so that a failure leaves no thread running.
        let sockets = try addresses.map { address in
            (address, try Socket.bound(address, stream: false), try Socket.bound(address, stream: true))
        }
        for (address, udp, tcp) in sockets {
            UDPListener(fd: udp, store: store).start(name: "udp \(address)")
            TCPListener(fd: tcp, store: store).start(name: "tcp \(address)")
        }
    }

    /// Everything is validated before anything changes; a refused configuration leaves the old one serving.
    private func reload(publisher: Publisher, monitor: HealthMonitor) {
        guard let configuration = load(reason: "reload") else {
            logger.error("reload failed; the running configuration keeps serving")
            return
        }
        if configuration.listen != publisher.store.snapshot.configuration.listen, options.listenOverride.isEmpty {
            logger.warning("listen addresses changed; they take effect at the next restart")
        }
        publisher.replace(configuration) { monitor.configure(configuration.profiles, generation: $0) }
        logger.notice("reloaded", metadata: ["profiles": "\(configuration.profiles.count)"])
    }

    private func logAnswers(_ snapshot: ServingSnapshot) {
        for profile in snapshot.configuration.profiles {
            Publisher.log(Router.decide(profile, health: snapshot.health), profile: profile, to: logger, previous: nil)
        }
    }

    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "edgetm" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
