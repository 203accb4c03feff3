import ArgumentParser
import Foundation
import TMControl

/// `edgetm admin ...`: operator controls over the running daemon's control socket, like knotc or unbound-control.
struct Admin: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drain or force endpoints on the running server, without editing profiles.",
        subcommands: [Drain.self, ForceUp.self, ForceDown.self, Clear.self, List.self])

    struct Connection: ParsableArguments {
        @Option(
            name: .long, help: "The control socket (default: DIR/.control with --config, else /run/edgetm/control).")
        var control: String?

        @Option(name: .long, help: "The configuration directory the server runs with, to find its control socket.")
        var config: String?

        func send(_ request: ControlRequest) throws -> ControlReply {
            let path = ControlSocketPath.forClient(explicit: control, configDirectory: config)
            let reply: ControlReply
            do { reply = try ControlClient.send(request, to: path) } catch { throw CommandFailure(error.description) }
            if let error = reply.error { throw CommandFailure(error) }
            return reply
        }
    }

    struct Setting: ParsableArguments {
        @Argument(help: "Profile name, or a glob such as '*'.")
        var profile: String

        @Argument(help: "Endpoint name, or a glob such as 'mec-atlanta*'.")
        var endpoint: String

        @Option(name: .customLong("for"), help: "How long it holds, as 90s, 30m, 2h or 1h30m (default: until cleared).")
        var duration: String?

        @Option(name: .long, help: "Why, for the log, the status and admin list.")
        var reason: String?

        func request(_ command: ControlRequest.Command) throws -> ControlRequest {
            var seconds: Double?
            if let duration {
                guard let parsed = Admin.seconds(duration) else {
                    throw ValidationError("--for \(duration): expected a duration such as 90s, 30m, 2h or 1h30m")
                }
                seconds = parsed
            }
            return ControlRequest(
                command: command, profile: profile, endpoint: endpoint, seconds: seconds, reason: reason)
        }
    }

    /// `90`, `90s`, `30m`, `2h`, `1d`, `1h30m`: seconds, or nil when not a positive duration.
    static func seconds(_ text: String) -> Double? {
        if let plain = Double(text) { return plain > 0 ? plain : nil }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var total = 0.0
        var number = ""
        for character in text {
            if character.isNumber || character == "." {
                number.append(character)
            } else if let unit = units[character], let value = Double(number) {
                total += value * unit
                number = ""
            } else {
                return nil
            }
        }
        return number.isEmpty && total > 0 ? total : nil
    }

    /// One line per entry: the columns of `admin list`.
    static func table(_ entries: [AdminEntry]) -> String {
        let formatter = ISO8601DateFormatter()
        let rows =
            [["PROFILE", "ENDPOINT", "STATE", "BY", "REASON", "UNTIL"]]
            + entries.map {
                [
                    $0.profile, $0.endpoint, $0.override.action.rawValue, $0.override.by, $0.override.reason ?? "-",
                    $0.override.until.map { formatter.string(from: $0) } ?? "-",
                ]
            }
        let widths = (0..<6).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    /// Sends the request and prints the entries of the reply (a warning to stderr); a refusal goes to stderr with
    /// exit status 1.
    static func perform(_ connection: Connection, _ request: () throws -> ControlRequest) throws {
        do {
            let reply = try connection.send(try request())
            if let warning = reply.warning { FileHandle.standardError.write(Data("edgetm admin: \(warning)\n".utf8)) }
            print(table(reply.entries))
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("edgetm admin: \(failure)\n".utf8))
            throw ExitCode(1)
        }
    }

    struct Drain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop answering an endpoint (as if Disabled); it is still probed.")
        @OptionGroup var setting: Setting
        @OptionGroup var connection: Connection
        func run() throws { try Admin.perform(connection) { try setting.request(.drain) } }
    }

    struct ForceUp: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "force-up", abstract: "Route an endpoint as Online whatever its probes say.")
        @OptionGroup var setting: Setting
        @OptionGroup var connection: Connection
        func run() throws { try Admin.perform(connection) { try setting.request(.forceUp) } }
    }

    struct ForceDown: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "force-down",
            abstract: "Route an endpoint as Degraded whatever its probes say (fail-open still applies).")
        @OptionGroup var setting: Setting
        @OptionGroup var connection: Connection
        func run() throws { try Admin.perform(connection) { try setting.request(.forceDown) } }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the admin state of matching endpoints.")
        @Argument(help: "Profile name or glob.") var profile: String
        @Argument(help: "Endpoint name or glob.") var endpoint: String
        @OptionGroup var connection: Connection
        func run() throws {
            try Admin.perform(connection) { ControlRequest(command: .clear, profile: profile, endpoint: endpoint) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every admin entry, as a table.")
        @OptionGroup var connection: Connection
        func run() throws { try Admin.perform(connection) { ControlRequest(command: .list) } }
    }
}
