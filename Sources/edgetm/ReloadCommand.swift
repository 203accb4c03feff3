import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `edgetm reload --pid PID`: SIGHUP to a running `edgetm serve`, for the unit's `ExecReload=`. A minimal Debian
/// system has no `kill` binary (procps is optional) and systemd 252 has neither a built-in kill nor
/// `Type=notify-reload`, so the binary that is surely there sends the signal itself.
struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask a running edgetm serve to re-read its configuration (sends SIGHUP to PID).",
        discussion: """
            The server validates the new configuration completely before using it; a refused one is logged and the \
            running configuration keeps serving. The unit runs this as ExecReload, with PID $MAINPID.
            """)

    @Option(name: .long, help: "The process id of the running edgetm serve (under systemd: $MAINPID).")
    var pid: Int32

    func validate() throws {
        guard pid > 1 else { throw ValidationError("--pid must be a process id above 1") }
    }

    func run() throws {
        // SIGHUP ends most other programs: a mistyped id must not hit one. The check reads the process's name, so
        // it needs no privilege beyond seeing the process, which sending it a signal needs anyway.
        let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)
        if let name = comm?.trimmingCharacters(in: .whitespacesAndNewlines), name != "edgetm" {
            throw CommandFailure("process \(pid) is \(name), not edgetm; nothing sent")
        }
        guard kill(pid, SIGHUP) == 0 else {
            throw CommandFailure("cannot signal process \(pid): \(String(cString: strerror(errno)))")
        }
    }
}
