import ArgumentParser
import Foundation
import Logging
import TMConfig
import TMDaemon

@main
struct EdgeTMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edgetm",
        abstract: "An authoritative DNS traffic manager for edge deployments.",
        version: Daemon.version,
        subcommands: [Serve.self, Check.self, Admin.self, Reload.self, Publish.self, Probe.self]
    )
}

// The executable owns both imports; `--log-level` parses straight into swift-log's type.
// swift-format-ignore: AvoidRetroactiveConformances
extension Logger.Level: @retroactive ExpressibleByArgument {}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve DNS in the foreground, logging to stderr.")

    @Option(name: .long, help: "The configuration directory (holding edgetm.json).")
    var config: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "An address to serve on, as 127.0.0.1:5353 or [::1]:5353; replaces the configuration's listen addresses."))
    var listen: [String] = []

    @Option(
        name: .long,
        help: "UDP listener threads per address (SO_REUSEPORT); default: one per CPU this process may run on.")
    var threads: Int?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @Option(
        name: .long,
        help:
            "The control socket for edgetm admin (default: $RUNTIME_DIRECTORY/control under systemd, else DIR/.control)."
    )
    var control: String?

    func validate() throws {
        if let threads, !(1...64).contains(threads) { throw ValidationError("--threads must be 1 to 64") }
        for text in listen where ListenAddress(text) == nil {
            throw ValidationError("--listen \(text): expected an address and port such as 127.0.0.1:5353 or [::1]:5353")
        }
    }

    static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    func run() throws {
        Self.bootstrapLogging(level: logLevel)
        var options = DaemonOptions(configDirectory: config, listenOverride: listen.compactMap(ListenAddress.init))
        if let threads { options.udpThreads = max(1, threads) }
        options.controlPath = control
        let status = Daemon(options: options, logger: Logger(label: "edgetm")).run()
        if status != 0 { throw ExitCode(status) }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the configuration: exit 0, or print every error as FILE: JSON.PATH: message and exit 1.")

    @Option(name: .long, help: "The configuration directory (holding edgetm.json).")
    var config: String

    func run() throws {
        let result = ConfigLoader.load(directory: config)
        for issue in result.issues {
            FileHandle.standardError.write(Data("\(issue)\n".utf8))
        }
        guard let configuration = result.configuration else { throw ExitCode(1) }
        print("\(config): OK, \(configuration.profiles.count) profiles, \(configuration.endpointCount) endpoints")
    }
}
