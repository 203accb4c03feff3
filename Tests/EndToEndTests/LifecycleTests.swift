import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Starting and stopping `edgetm serve`.
@Suite("serve lifecycle")
struct LifecycleTests {
    @Test("The bundled Config/ is served as is: app.tm.example A is 127.0.0.11")
    func bundledConfig() throws {
        let bundled = Paths.bundledConfig
        #expect(FileManager.default.fileExists(atPath: bundled.appendingPathComponent("edgetm.json").path))
        try ServerProcess.with(config: bundled) { server in
            let response = try server.dig(["app.tm.example", "A"])
            #expect(response.status == "NOERROR", "\(response)")
            #expect(response.flags.contains("aa"))
            #expect(response.answerData("A") == ["127.0.0.11"], "\(response)")
            #expect(server.normalQueryProblemUDP() == nil)
        }
    }

    @Test("--listen replaces the configuration's listen addresses")
    func listenOverridesConfig() throws {
        let configPort = try FreePort.pick()
        let config = try TestConfig(
            server: TestConfig.server(listen: ["127.0.0.1:\(configPort)"]),
            profiles: [
                "app.json": TestConfig.profile(
                    "app",
                    endpoints: [
                        TestConfig.Endpoint(name: "mec-atlanta", target: "127.0.0.11", priority: 1)
                    ])
            ])
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            #expect(server.port != configPort)
            #expect(server.normalQueryProblemUDP() == nil)
            #expect(server.normalQueryProblemTCP() == nil)
            let client = try UDPClient(port: configPort)
            #expect(
                client.exchange(NormalQuery.make(id: 7), timeout: 0.3) == nil,
                "the configuration's address must not be served when --listen is given")
            #expect(throws: HarnessError.self, "nothing listens on TCP there either") {
                _ = try TCPClient(port: configPort)
            }
        }
    }

    @Test("Without --listen, the configuration's listen addresses are served")
    func listenFromConfig() throws {
        let binary = try Paths.requireEdgetm()
        var served = false
        var lastLog = ""
        for _ in 0..<3 where !served {
            let port = try FreePort.pick()
            let config = try TestConfig(
                server: TestConfig.server(listen: ["127.0.0.1:\(port)"]),
                profiles: [
                    "app.json": TestConfig.profile(
                        "app",
                        endpoints: [
                            TestConfig.Endpoint(name: "mec-atlanta", target: "127.0.0.11", priority: 1)
                        ])
                ])
            defer { config.remove() }
            let child = try ManagedProcess(
                executable: binary, arguments: ["serve", "--config", config.path],
                stdout: config.directory.file("server.log"),
                stderr: config.directory.file("server.log"))
            defer { child.terminate() }
            let deadline = Date().addingTimeInterval(20)
            let client = try UDPClient(port: port)
            while Date() < deadline, child.isRunning, !served {
                served =
                    NormalQuery.problem(with: client.exchange(NormalQuery.make(id: 8), timeout: 0.25), id: 8) == nil
            }
            lastLog = child.stderr
            if served {
                let termination = child.terminate()
                #expect(termination?.reason == .exit && termination?.status == 0, "\(String(describing: termination))")
            }
        }
        #expect(served, "edgetm serve did not answer on the configuration's listen address; log:\n\(lastLog)")
    }

    @Test("A reload with changed listen addresses says a restart is needed, each time, and keeps the old address")
    func reloadWithChangedListen() throws {
        let binary = try Paths.requireEdgetm()
        let profiles = [
            "app.json": TestConfig.profile(
                "app", endpoints: [TestConfig.Endpoint(name: "mec-atlanta", target: "127.0.0.11", priority: 1)])
        ]
        var tested = false
        // A port taken by another test between pick and bind makes the server exit: try again on another.
        for _ in 0..<3 where !tested {
            let port = try FreePort.pick()
            let newPort = try FreePort.pick()
            let config = try TestConfig(server: TestConfig.server(listen: ["127.0.0.1:\(port)"]), profiles: profiles)
            defer { config.remove() }
            let child = try ManagedProcess(
                executable: binary, arguments: ["serve", "--config", config.path],
                stdout: config.directory.file("server.log"), stderr: config.directory.file("server.log"))
            defer { child.terminate() }
            let client = try UDPClient(port: port)
            guard
                eventuallyTrue(
                    within: 20,
                    {
                        NormalQuery.problem(with: client.exchange(NormalQuery.make(id: 8), timeout: 0.25), id: 8) == nil
                    })
            else { continue }
            tested = true
            try Data(TestConfig.server(listen: ["127.0.0.1:\(newPort)"]).utf8).write(
                to: config.directory.file("edgetm.json"))
            let message = "listen addresses changed; a restart is needed to apply them, the old addresses keep serving"
            for reload in 1...2 {
                child.send(SIGHUP)
                #expect(
                    eventuallyTrue(within: 10) { child.stderr.components(separatedBy: "reloaded").count > reload },
                    "\(child.stderr)")
                let warnings = child.stderr.components(separatedBy: "\n").filter { $0.contains(message) }
                #expect(warnings.count == reload, "reload \(reload): \(warnings)")
                #expect(warnings.last?.contains(" warning ") == true, "\(warnings)")
                #expect(warnings.last?.contains("listen.serving=127.0.0.1:\(port)") == true, "\(warnings)")
                #expect(warnings.last?.contains("listen.configured=127.0.0.1:\(newPort)") == true, "\(warnings)")
            }
            #expect(NormalQuery.problem(with: client.exchange(NormalQuery.make(id: 9)), id: 9) == nil)
            #expect(
                try UDPClient(port: newPort).exchange(NormalQuery.make(id: 10), timeout: 0.3) == nil,
                "the new address must not be served before a restart")
            let termination = child.terminate()
            #expect(termination?.reason == .exit && termination?.status == 0, "\(String(describing: termination))")
        }
        #expect(tested, "edgetm serve never answered on its configured address")
    }

    @Test("SIGTERM stops the server with exit status 0 within 5 s")
    func sigterm() throws {
        let config = try TestConfig.standard()
        defer { config.remove() }
        let server = try ServerProcess.start(config: config.url)
        defer { server.stop() }
        #expect(server.normalQueryProblemUDP() == nil)
        let termination = try #require(
            server.sigterm(waiting: 5), "still running 5 s after SIGTERM; log:\n\(server.log)")
        #expect(termination.reason == .exit, "\(termination)")
        #expect(termination.status == 0, "\(termination); log:\n\(server.log)")
        #expect(termination.seconds < 5)
        // Nothing answers on the port any more.
        let client = try UDPClient(port: server.port)
        #expect(client.exchange(NormalQuery.make(id: 9), timeout: 0.3) == nil)
    }

    /// 20,000 profiles x 10 endpoints (bench/dns/gen.py, 80 MB of files) take the debug build several seconds to
    /// load; before signals had a thread of their own, SIGTERM waited for the whole reload.
    @Test("SIGTERM 0.3 s after SIGHUP, while a reload of 20,000 profiles is loading, exits 0 within 1.5 s")
    func sigtermDuringLongReload() throws {
        let directory = try TemporaryDirectory("edgetm-e2e-many")
        defer { directory.remove() }
        let generated = try Command.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", Paths.packageRoot.appendingPathComponent("bench/dns/gen.py").path, "many",
                directory.url.path, "20000", "10",
            ], timeout: 120)
        try #require(generated.status == 0, "gen.py failed: \(generated.stderr)")
        let server = try ServerProcess.start(config: directory.url, readyTimeout: 180)
        defer { server.stop() }
        server.signal(SIGHUP)
        usleep(300_000)
        let termination = try #require(
            server.sigterm(waiting: 10), "still running 10 s after SIGTERM; log:\n\(server.log.suffix(2000))")
        let log = server.log
        #expect(termination.reason == .exit && termination.status == 0, "\(termination)")
        #expect(termination.seconds < 1.5, "exited \(termination.seconds) s after SIGTERM")
        // The reload was still going when the server stopped, so the test measured what it means to.
        #expect(!log.contains("reloaded") && !log.contains("reload failed"), "\(log.suffix(2000))")
        #expect(log.contains("signal=SIGTERM"))
    }

    @Test("SIGTERM with TCP clients connected (one idle, one mid-message) still exits 0 within 5 s")
    func sigtermWithOpenConnections() throws {
        let config = try TestConfig.standard()
        defer { config.remove() }
        let server = try ServerProcess.start(config: config.url)
        defer { server.stop() }
        let idle = try server.tcpClient()
        defer { idle.close() }
        #expect(NormalQuery.problem(with: try idle.exchange(NormalQuery.make(id: 3)), id: 3) == nil)
        let partial = try server.tcpClient()
        defer { partial.close() }
        try partial.sendRaw(Array(TCPClient.frame(NormalQuery.make(id: 4)).prefix(7)))
        let udp = try server.udpClient()
        udp.send(NormalQuery.make(id: 5))
        usleep(100_000)

        let termination = try #require(
            server.sigterm(waiting: 5), "still running 5 s after SIGTERM; log:\n\(server.log)")
        #expect(termination.reason == .exit, "\(termination)")
        #expect(termination.status == 0, "\(termination)")
    }
}
