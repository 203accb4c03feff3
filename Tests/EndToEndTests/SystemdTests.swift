import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The systemd side: the notify protocol played for real, the unit's hardening, health kept across restarts.
@Suite("systemd", .serialized)
struct SystemdTests {
    /// A datagram socket standing in for systemd's NOTIFY_SOCKET.
    final class NotifySocket {
        let path: String
        private let fd: Int32

        init() throws {
            path =
                FileManager.default.temporaryDirectory.appendingPathComponent(
                    "edgetm-notify-\(UUID().uuidString.prefix(8))"
                ).path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard bound == 0 else { throw HarnessError("cannot bind \(path)") }
        }

        /// The next message, or nil after `timeout` seconds.
        func receive(timeout: Double) -> String? {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, Int32(timeout * 1000)) == 1 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, 0)
            return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
        }

        /// Messages until one starts with `prefix` (included), or nil when none comes within `timeout`.
        func messages(until prefix: String, timeout: Double) -> [String]? {
            let deadline = Date().addingTimeInterval(timeout)
            var seen: [String] = []
            while let message = receive(timeout: max(0, deadline.timeIntervalSinceNow)) {
                seen.append(message)
                if message.hasPrefix(prefix) { return seen }
            }
            return nil
        }

        deinit {
            close(fd)
            unlink(path)
        }
    }

    @Test("READY after the first probe round, WATCHDOG pings, RELOADING/READY around SIGHUP, STOPPING on SIGTERM")
    func notifySequence() throws {
        let port = try FreePort.pick()
        // A hung endpoint: the first probe round lasts its full 1.5 s timeout, so READY must wait for it.
        let hung = try FailoverTests.HTTPEndpoint(address: "127.0.0.11", port: port, delay: 30)
        _ = hung
        let config = try TestConfig(
            server: TestConfig.server(),
            profiles: [
                "app.json": OperationsTests.profile(
                    "app", port: port, interval: 2, timeout: 1.5,
                    endpoints: [("mec", "127.0.0.11")])
            ])
        defer { config.remove() }
        let notify = try NotifySocket()
        let started = Date()
        let server = try ServerProcess.start(
            config: config.url,
            environment: [
                "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000",
            ])
        defer { _ = server.stop() }
        let ready = try #require(notify.messages(until: "READY=1", timeout: 10))
        #expect(ready.count == 1, "nothing may come before READY: \(ready)")
        #expect(Date().timeIntervalSince(started) >= 1.4, "READY must wait for the first probe round")
        #expect(notify.messages(until: "WATCHDOG=1", timeout: 3) != nil)
        server.signal(SIGHUP)
        let reload = try #require(notify.messages(until: "READY=1", timeout: 5))
        #expect(reload.filter { !$0.hasPrefix("WATCHDOG") } == ["RELOADING=1", "READY=1"])
        let termination = server.sigterm(waiting: 5)
        #expect(termination?.status == 0)
        #expect(notify.messages(until: "STOPPING=1", timeout: 2) != nil)
    }

    @Test("edgetm reload --pid (the unit's ExecReload) reloads the server, and refuses a process that is not edgetm")
    func reloadCommand() throws {
        let config = try TestConfig(
            server: TestConfig.server(),
            profiles: [
                "app.json": OperationsTests.profile(
                    "app", port: try FreePort.pick(), interval: 10, timeout: 5, endpoints: [("mec", "127.0.0.11")])
            ])
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { (server: ServerProcess) throws in
            let sent = try Command.edgetm(["reload", "--pid", "\(server.pid)"])
            #expect(sent.status == 0, "\(sent.stderr)")
            #expect(eventuallyTrue(within: 5) { server.log.contains("reloaded") }, "\(server.log)")
        }
        // SIGHUP would end `sleep`: it must still be running afterwards.
        let bystander = Process()
        bystander.executableURL = URL(fileURLWithPath: "/bin/sleep")
        bystander.arguments = ["30"]
        try bystander.run()
        defer { bystander.terminate() }
        let refused = try Command.edgetm(["reload", "--pid", "\(bystander.processIdentifier)"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is sleep, not edgetm; nothing sent"), "\(refused.stderr)")
        usleep(200_000)
        #expect(bystander.isRunning)
    }

    @Test("The unit verifies cleanly and rates 2.0 or lower in systemd-analyze security")
    func unitHardening() throws {
        let analyze = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        try #require(
            FileManager.default.fileExists(atPath: analyze.path),
            "systemd-analyze is missing: install the Debian package systemd")
        let unit = Paths.packageRoot.appendingPathComponent("systemd/edgetm.service")
        let security = try Command.run(analyze, ["security", "--offline=yes", unit.path])
        let verdict = security.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") }
        let score = verdict.flatMap { line in
            line.split(separator: " ").compactMap { Double($0) }.first
        }
        #expect(try #require(score, "\(security.stdout)\(security.stderr)") <= 2.0)
        // verify checks that ExecStart exists: point it at the binary under test.
        let directory = try TemporaryDirectory("edgetm-e2e-unit")
        defer { directory.remove() }
        let copy = directory.file("edgetm.service")
        try String(contentsOf: unit, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/edgetm", with: try Paths.requireEdgetm().path)
            .write(to: copy, atomically: true, encoding: .utf8)
        let verify = try Command.run(analyze, ["verify", copy.path])
        #expect(verify.status == 0)
        #expect(verify.stdout.isEmpty && verify.stderr.isEmpty, "\(verify.stdout)\(verify.stderr)")
        let text = try String(contentsOf: unit, encoding: .utf8)
        for line in [
            "Type=notify", "WatchdogSec=", "ExecStartPre=/usr/local/bin/edgetm check",
            "ExecReload=/usr/local/bin/edgetm reload --pid $MAINPID", "StateDirectory=edgetm",
            "RuntimeDirectory=edgetm",
            "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "NoNewPrivileges=yes",
        ] {
            #expect(text.contains(line), "\(line)")
        }
    }

    @Test("A primary that is down stays out of answers across a restart; one that is up stays in")
    func healthSurvivesRestart() throws {
        let port = try FreePort.pick()
        // The primary hangs: without saved health it would be answered (CheckingEndpoint) for a whole timeout.
        let hung = try FailoverTests.HTTPEndpoint(address: "127.0.0.11", port: port, delay: 60)
        let region = try FailoverTests.HTTPEndpoint(address: "127.0.0.12", port: port)
        _ = (hung, region)
        let config = try TestConfig(
            server: TestConfig.server(),
            profiles: [
                "app.json": OperationsTests.profile(
                    "app", port: port, interval: 5, timeout: 3,
                    endpoints: [("mec", "127.0.0.11"), ("region", "127.0.0.12")])
            ])
        defer { config.remove() }
        let stateFile = config.url.appendingPathComponent(".state.json")
        try ServerProcess.with(config: config.url) { (server: ServerProcess) throws in
            #expect(
                try FailoverTests.seconds(
                    until: "app.tm.example", answers: "127.0.0.12", server: server,
                    within: 10) != nil)
            #expect(
                eventuallyTrue(within: 5) {
                    let text = (try? String(contentsOf: stateFile, encoding: .utf8)) ?? ""
                    return text.contains("\"Degraded\"") && text.contains("\"Online\"")
                })
        }
        // Restarted with the state file: region from the first answer on.
        try ServerProcess.with(config: config.url) { (server: ServerProcess) throws in
            #expect(try server.dig(["app.tm.example", "A"]).answerData("A") == ["127.0.0.12"])
            #expect(server.log.contains("restored endpoint health"))
        }
        // Without it, the hung primary is served while its first probe is pending: the state file made the difference.
        try FileManager.default.removeItem(at: stateFile)
        try ServerProcess.with(config: config.url) { (server: ServerProcess) throws in
            #expect(try server.dig(["app.tm.example", "A"]).answerData("A") == ["127.0.0.11"])
        }
        // A corrupt file is a warning, never a failure to start.
        try "not json".write(to: stateFile, atomically: true, encoding: .utf8)
        try ServerProcess.with(config: config.url) { (server: ServerProcess) throws in
            #expect(server.log.contains("starting without saved health"))
        }
    }
}
