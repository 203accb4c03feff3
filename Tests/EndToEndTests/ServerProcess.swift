import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One `edgetm serve` child process on a free loopback port, UDP and TCP, started from a configuration directory
/// and stopped by SIGTERM to its own pid. Use `ServerProcess.with(...)` (or `start` + `defer { stop() }`) so that
/// it is stopped even when an expectation fails.
final class ServerProcess: @unchecked Sendable {
    let port: UInt16
    let addresses: [Loopback]
    let child: ManagedProcess
    private let logDirectory: TemporaryDirectory

    private init(port: UInt16, addresses: [Loopback], child: ManagedProcess, logDirectory: TemporaryDirectory) {
        self.port = port
        self.addresses = addresses
        self.child = child
        self.logDirectory = logDirectory
    }

    var pid: Int32 { child.pid }
    var isRunning: Bool { child.isRunning }
    /// Everything the server logged (stderr and stdout).
    var log: String { child.stderr }

    /// Starts `edgetm serve --config DIR --listen ...` on a free port of each address and waits until it answers a
    /// query (at most `readyTimeout` seconds). A server that loses its port to a concurrent test is restarted on
    /// another port.
    static func start(
        config: URL, on addresses: [Loopback] = [.v4], readyTimeout: Double = 20,
        environment: [String: String] = [:]
    ) throws -> ServerProcess {
        let binary = try Paths.requireEdgetm()
        var lastLog = ""
        for _ in 0..<5 {
            let port = try FreePort.pick(on: addresses)
            let logDirectory = try TemporaryDirectory("edgetm-e2e-server")
            var arguments = ["serve", "--config", config.path]
            for address in addresses { arguments += ["--listen", address.listenArgument(port: port)] }
            let child: ManagedProcess
            do {
                let log = logDirectory.file("server.log")
                child = try ManagedProcess(
                    executable: binary, arguments: arguments, stdout: log, stderr: log,
                    environment: environment)
            } catch {
                logDirectory.remove()
                throw error
            }
            let server = ServerProcess(port: port, addresses: addresses, child: child, logDirectory: logDirectory)
            switch server.waitUntilAnswering(timeout: readyTimeout) {
            case .answering:
                return server
            case .exited:
                lastLog = server.log
                server.stop()
                if lastLog.contains("cannot bind") || lastLog.contains("in use") { continue }
                throw HarnessError("edgetm serve exited before answering; its log:\n\(lastLog)")
            case .silent:
                lastLog = server.log
                server.stop()
                throw HarnessError(
                    "edgetm serve did not answer on port \(port) within \(readyTimeout) s; its log:\n"
                        + lastLog)
            }
        }
        throw HarnessError("edgetm serve could not bind a free port after 5 attempts; last log:\n\(lastLog)")
    }

    /// Starts a server, runs `body`, and always stops the server afterwards. When `body` returns, the server must
    /// still be running and must exit with status 0 on SIGTERM.
    static func with<T>(
        config: URL, on addresses: [Loopback] = [.v4], environment: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (ServerProcess) throws -> T
    ) throws -> T {
        let server = try start(config: config, on: addresses, environment: environment)
        var stopped = false
        defer { if !stopped { server.stop() } }
        let result = try body(server)
        let wasRunning = server.isRunning
        let log = server.log
        let termination = server.stop()
        stopped = true
        #expect(wasRunning, "edgetm exited during the test; its log:\n\(log)", sourceLocation: sourceLocation)
        if wasRunning {
            #expect(
                termination?.reason == .exit && termination?.status == 0,
                "edgetm did not exit cleanly on SIGTERM (\(termination.map(\.description) ?? "still running")); its log:\n\(log)",
                sourceLocation: sourceLocation)
        }
        return result
    }

    private enum Readiness { case answering, exited, silent }

    /// Polls with a CHAOS `version.bind` query, which every configuration answers.
    private func waitUntilAnswering(timeout: Double) -> Readiness {
        let deadline = Date().addingTimeInterval(timeout)
        var id: UInt16 = 0x4000
        while Date() < deadline {
            if !isRunning { return .exited }
            if let client = try? UDPClient(port: port, address: addresses[0]) {
                id &+= 1
                let probe = DNSWire.query(id: id, name: "version.bind", type: RRType.txt, dnsClass: RRClass.chaos)
                if let reply = client.exchange(probe, timeout: 0.25), let message = try? DNSMessage(reply),
                    message.qr
                {
                    // Another process could own the port; then this one has exited on its bind error.
                    usleep(20_000)
                    return isRunning ? .answering : .exited
                }
            }
            usleep(50_000)
        }
        return isRunning ? .silent : .exited
    }

    /// SIGTERM (SIGKILL after 5 s if need be), then removes the log. Safe to call more than once.
    @discardableResult
    func stop() -> Termination? {
        let termination = child.terminate(grace: 5)
        logDirectory.remove()
        return termination
    }

    /// Sends a signal (SIGHUP to reload) to the server's own pid.
    func signal(_ number: Int32) { child.send(number) }

    /// SIGTERM and the time until the process exited, without escalating: for the shutdown test.
    func sigterm(waiting timeout: Double) -> Termination? {
        let start = Date()
        child.send(SIGTERM)
        guard child.waitForExit(timeout: timeout) else { return nil }
        return child.termination(seconds: Date().timeIntervalSince(start))
    }

    // MARK: - Queries

    func dig(_ arguments: [String], address: Loopback = .v4) throws -> DigResponse {
        try Dig.run(arguments, server: address, port: port)
    }

    func udpClient(_ address: Loopback = .v4, source: String? = nil) throws -> UDPClient {
        try UDPClient(port: port, address: address, source: source)
    }

    func tcpClient(_ address: Loopback = .v4) throws -> TCPClient { try TCPClient(port: port, address: address) }

    /// Nil when the server answers `NormalQuery` correctly over UDP within `timeout` seconds, else the problem.
    func normalQueryProblemUDP(id: UInt16 = 0x7e57, timeout: Double = 2) -> String? {
        guard let client = try? udpClient() else { return "cannot open a UDP socket" }
        return NormalQuery.problem(with: client.exchange(NormalQuery.make(id: id), timeout: timeout), id: id)
    }

    /// The same over a fresh TCP connection.
    func normalQueryProblemTCP(id: UInt16 = 0x7e58, timeout: Double = 2) -> String? {
        do {
            let client = try tcpClient()
            defer { client.close() }
            return NormalQuery.problem(with: try client.exchange(NormalQuery.make(id: id), timeout: timeout), id: id)
        } catch {
            return "\(error)"
        }
    }
}
