import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A harness failure with a readable message (a missing binary, a server that never answered...).
struct HarnessError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}

/// Where things are: the package, the binary under test, the bundled configuration.
enum Paths {
    /// `Tests/EndToEndTests/<this file>` → three levels up is the package root.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let bundledConfig = packageRoot.appendingPathComponent("Config")

    /// `EDGETM_BIN`, else `<package root>/.build/debug/edgetm`. The tests never build it.
    static var edgetm: URL {
        if let path = ProcessInfo.processInfo.environment["EDGETM_BIN"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return packageRoot.appendingPathComponent(".build/debug/edgetm")
    }

    /// The binary, or an error that says how to get it.
    static func requireEdgetm() throws -> URL {
        let binary = edgetm
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw HarnessError(
                "edgetm binary not found or not executable at \(binary.path): run `swift build` first "
                    + "(`make test` does), or set EDGETM_BIN")
        }
        return binary
    }
}

/// A directory under the system temporary directory, unique per instance.
final class TemporaryDirectory: @unchecked Sendable {
    let url: URL

    init(_ prefix: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// How a child process ended.
struct Termination: CustomStringConvertible {
    let reason: Process.TerminationReason
    let status: Int32
    /// Seconds from the request (signal) to the exit, when one was sent.
    let seconds: Double

    var exitedNormally: Bool { reason == .exit }

    var description: String {
        "\(reason == .exit ? "exit status" : "killed by signal") \(status) after \(String(format: "%.2f", seconds)) s"
    }
}

/// A child process started with Foundation's `Process`, its output going to files (never to pipes, which can fill
/// up and block the child). Stopped by signals to its own pid only.
final class ManagedProcess: @unchecked Sendable {
    // @unchecked: used by one test at a time; the exit flag is only read and written by that test's thread.
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL
    private let exitSignal = DispatchSemaphore(value: 0)
    private var exited = false
    private let handles: [FileHandle]

    /// Starts `executable`; stdout and stderr go to the given files (the same file is fine), emptied first unless
    /// `append` (a restarted process that keeps one log).
    init(
        executable: URL, arguments: [String], stdout: URL, stderr: URL, environment: [String: String] = [:],
        append: Bool = false
    ) throws {
        stdoutURL = stdout
        stderrURL = stderr
        for file in [stdout, stderr] where !append || !FileManager.default.fileExists(atPath: file.path) {
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        }
        let out = try FileHandle(forWritingTo: stdout)
        let err = stdout == stderr ? out : try FileHandle(forWritingTo: stderr)
        if append {
            _ = try? out.seekToEnd()
            _ = try? err.seekToEnd()
        }
        handles = stdout == stderr ? [out] : [out, err]
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        let signal = exitSignal
        process.terminationHandler = { _ in signal.signal() }
        do {
            try process.run()
        } catch {
            closeHandles()
            throw HarnessError("cannot start \(executable.path): \(error)")
        }
    }

    var pid: Int32 { process.processIdentifier }

    /// True once the process has exited (and been reaped); waits at most `timeout` seconds.
    @discardableResult
    func waitForExit(timeout: Double) -> Bool {
        if exited { return true }
        if exitSignal.wait(timeout: .now() + max(timeout, 0)) == .success {
            exited = true
            closeHandles()
        }
        return exited
    }

    var isRunning: Bool { !waitForExit(timeout: 0) }

    /// Sends `signal` to this process's own pid, unless it has already exited.
    func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// The exit information; only valid after `waitForExit` returned true.
    func termination(seconds: Double = 0) -> Termination {
        Termination(reason: process.terminationReason, status: process.terminationStatus, seconds: seconds)
    }

    /// SIGTERM, then SIGKILL if it is still running after `grace` seconds. Nil only if even SIGKILL did not end it.
    @discardableResult
    func terminate(grace: Double = 5) -> Termination? {
        let start = Date()
        if isRunning {
            kill(pid, SIGTERM)
            if !waitForExit(timeout: grace) {
                kill(pid, SIGKILL)
                guard waitForExit(timeout: 5) else { return nil }
            }
        }
        return termination(seconds: Date().timeIntervalSince(start))
    }

    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    private func closeHandles() {
        for handle in handles { try? handle.close() }
    }
}

/// The result of a command run to completion.
struct CommandResult {
    let termination: Termination?
    let stdout: String
    let stderr: String
    /// The command was killed because it ran longer than its timeout.
    let timedOut: Bool

    var status: Int32? { termination.flatMap { $0.exitedNormally ? $0.status : nil } }

    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
}

enum Command {
    /// Runs a command to completion (killed after `timeout` seconds), capturing stdout and stderr.
    static func run(
        _ executable: URL, _ arguments: [String], timeout: Double = 30, environment: [String: String] = [:]
    ) throws -> CommandResult {
        let directory = try TemporaryDirectory("edgetm-e2e-cmd")
        defer { directory.remove() }
        let child = try ManagedProcess(
            executable: executable, arguments: arguments,
            stdout: directory.file("stdout"), stderr: directory.file("stderr"), environment: environment)
        let start = Date()
        var timedOut = false
        if !child.waitForExit(timeout: timeout) {
            timedOut = true
            child.send(SIGKILL)
            child.waitForExit(timeout: 5)
        }
        let termination = child.isRunning ? nil : child.termination(seconds: Date().timeIntervalSince(start))
        return CommandResult(termination: termination, stdout: child.stdout, stderr: child.stderr, timedOut: timedOut)
    }

    /// `edgetm ARGS...`
    static func edgetm(_ arguments: [String], timeout: Double = 30) throws -> CommandResult {
        try run(try Paths.requireEdgetm(), arguments, timeout: timeout)
    }
}

/// This machine's host name, as `id.server` should report it.
func currentHostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count) == 0 else { return "" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
