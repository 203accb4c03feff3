import ArgumentParser
import Logging
import TMConfig
import TMDaemon

/// `edgetm probe --config DIR`: a vantage point of a fleet, for a site that runs no name server.
struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Probe the fleet's endpoints and publish the verdicts to etcd; serve no DNS.",
        discussion: """
            DIR's edgetm.json needs a fleet section; the profiles come from the fleet's newest revision (the \
            local files until one is published). Runs in the foreground until SIGTERM or SIGINT.
            """)

    @Option(name: .long, help: "The configuration directory (holding edgetm.json with a fleet section).")
    var config: String

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func run() throws {
        let result = ConfigLoader.load(directory: config)
        guard result.configuration?.fleet != nil || result.configuration == nil else {
            throw CommandFailure(
                "\(ConfigLoader.serverFile): fleet: a vantage point needs a fleet section naming the etcd cluster")
        }
        Serve.bootstrapLogging(level: logLevel)
        var options = DaemonOptions(configDirectory: config)
        options.answersDNS = false
        let status = Daemon(options: options, logger: Logger(label: "edgetm")).run()
        if status != 0 { throw ExitCode(status) }
    }
}
