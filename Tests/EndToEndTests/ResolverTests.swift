import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An Unbound resolver on a free loopback port, with a stub zone `tm.example.` pointing at an edgetm server.
final class UnboundProcess: @unchecked Sendable {
    static let binary = URL(fileURLWithPath: "/usr/sbin/unbound")

    let port: UInt16
    let child: ManagedProcess
    let directory: TemporaryDirectory

    private init(port: UInt16, child: ManagedProcess, directory: TemporaryDirectory) {
        self.port = port
        self.child = child
        self.directory = directory
    }

    var log: String { child.stderr }

    static func configuration(port: UInt16, directory: String, stubPort: UInt16) -> String {
        """
        server:
            interface: 127.0.0.1
            port: \(port)
            do-not-query-localhost: no
            username: ""
            chroot: ""
            directory: "\(directory)"
            pidfile: "\(directory)/unbound.pid"
            use-syslog: no
            logfile: ""
            verbosity: 1
            num-threads: 1
            module-config: "iterator"
            do-ip6: no
            access-control: 127.0.0.0/8 allow
        remote-control:
            control-enable: no
        stub-zone:
            name: "tm.example."
            stub-addr: 127.0.0.1@\(stubPort)

        """
    }

    /// Starts `unbound -d -c FILE` and waits until it answers (a CHAOS query it answers itself).
    static func start(stubPort: UInt16, readyTimeout: Double = 20) throws -> UnboundProcess {
        var lastLog = ""
        for _ in 0..<5 {
            let port = try FreePort.pick()
            let directory = try TemporaryDirectory("edgetm-e2e-unbound")
            let configFile = directory.file("unbound.conf")
            try Data(configuration(port: port, directory: directory.url.path, stubPort: stubPort).utf8)
                .write(to: configFile)
            let log = directory.file("unbound.log")
            let child: ManagedProcess
            do {
                child = try ManagedProcess(
                    executable: binary, arguments: ["-d", "-c", configFile.path],
                    stdout: log, stderr: log)
            } catch {
                directory.remove()
                throw error
            }
            let unbound = UnboundProcess(port: port, child: child, directory: directory)
            let deadline = Date().addingTimeInterval(readyTimeout)
            var id: UInt16 = 0x2000
            while Date() < deadline, child.isRunning {
                if let client = try? UDPClient(port: port) {
                    id &+= 1
                    let probe = DNSWire.query(
                        id: id, name: "version.bind", type: RRType.txt, dnsClass: RRClass.chaos,
                        recursionDesired: true)
                    if client.exchange(probe, timeout: 0.25) != nil, child.isRunning { return unbound }
                }
                usleep(50_000)
            }
            lastLog = unbound.log
            unbound.stop()
            if lastLog.contains("bind") || lastLog.contains("in use") { continue }
            throw HarnessError("unbound did not start answering on port \(port); its log:\n\(lastLog)")
        }
        throw HarnessError("unbound could not bind a free port after 5 attempts; last log:\n\(lastLog)")
    }

    /// SIGTERM to its own pid (SIGKILL after 5 s), then removes its directory.
    @discardableResult
    func stop() -> Termination? {
        let termination = child.terminate(grace: 5)
        directory.remove()
        return termination
    }

    func dig(_ arguments: [String]) throws -> DigResponse {
        try Dig.run(arguments, server: .v4, port: port)
    }
}

/// Queries through a real recursive resolver (Unbound) that reaches edgetm through a stub zone.
@Suite("through a resolver")
struct ResolverTests {
    @Test("Unbound resolves app.tm.example via edgetm, and passes NXDOMAIN through")
    func unbound() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: UnboundProcess.binary.path),
            "\(UnboundProcess.binary.path) is missing: install the Debian package `unbound` (apt-get install unbound; CI installs it)"
        )
        let config = try TestConfig.standard()
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            let unbound = try UnboundProcess.start(stubPort: server.port)
            defer { unbound.stop() }

            let a = try unbound.dig(["+rec", "app.tm.example", "A"])
            #expect(a.status == "NOERROR", "\(a)\nunbound log:\n\(unbound.log)")
            #expect(a.flags.contains("ra"), "a recursive answer: \(a)")
            #expect(a.flags.contains("rd"))
            #expect(!a.flags.contains("aa"), "the resolver is not authoritative: \(a)")
            #expect(a.answer.count == 1, "\(a)")
            #expect(a.answer.first?.name == "app.tm.example.")
            #expect(a.answer.first?.type == "A")
            #expect(a.answer.first?.data == "127.0.0.11", "\(a)")
            #expect((a.answer.first?.ttl ?? 0) <= 30)

            let aaaa = try unbound.dig(["+rec", "v6.tm.example", "AAAA"])
            #expect(aaaa.answerData("AAAA") == ["2001:db8::10"], "\(aaaa)")

            let failover = try unbound.dig(["+rec", "failover.tm.example", "A"])
            #expect(failover.answerData("A") == ["192.0.2.2"], "\(failover)")

            for name in ["nope.tm.example", "off.tm.example"] {
                let nx = try unbound.dig(["+rec", name, "A"])
                #expect(nx.status == "NXDOMAIN", "\(name): \(nx)\nunbound log:\n\(unbound.log)")
                #expect(nx.answer.isEmpty)
                #expect(nx.authority.first?.type == "SOA", "\(name): \(nx)")
                #expect(nx.authority.first?.name == "tm.example.")
            }

            let termination = unbound.stop()
            #expect(termination != nil, "unbound did not stop")
            #expect(server.isRunning)
        }
    }
}
