import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `edgetm admin` against the running daemon over its control socket: drain, force, clear, list, expiry, restarts,
/// globs, errors and the socket's permissions.
@Suite("admin", .serialized)
struct AdminTests {
    /// Both endpoints up, probed every 0.25 s; every probe the MEC endpoint receives is logged to `probes`.
    final class Site {
        let port: UInt16
        let probes: URL
        let mec: FailoverTests.HTTPEndpoint
        let region: FailoverTests.HTTPEndpoint
        let config: TestConfig

        init() throws {
            port = try FreePort.pick()
            let directory = try TemporaryDirectory("edgetm-e2e-admin")
            probes = directory.file("mec-probes.jsonl")
            mec = try FailoverTests.HTTPEndpoint(
                address: "127.0.0.11", port: port, arguments: ["--header-log", probes.path])
            region = try FailoverTests.HTTPEndpoint(address: "127.0.0.12", port: port)
            config = try TestConfig(
                server: TestConfig.server(),
                profiles: [
                    "app.json": FailoverTests.profile(port: port), "pinned.json": FailoverTests.pinned(port: port),
                ])
        }

        var directory: String { config.url.path }

        /// `edgetm admin ARGS --config DIR`.
        func admin(_ arguments: [String]) throws -> CommandResult {
            try Command.edgetm(["admin"] + arguments + ["--config", directory])
        }

        /// `admin(arguments)`, expected to succeed.
        @discardableResult
        func succeed(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> CommandResult {
            let result = try admin(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
            return result
        }

        var probeCount: Int {
            (try? String(contentsOf: probes, encoding: .utf8))?.split(separator: "\n").count ?? 0
        }

        deinit { config.remove() }
    }

    static func answer(_ server: ServerProcess, _ name: String = "app.tm.example") throws -> [String] {
        try server.dig([name, "A"]).answerData("A")
    }

    static func status(_ server: ServerProcess, _ name: String = "app.tm.example") throws -> [String] {
        try server.dig([name, "TXT", "-c", "CH"]).answer.map(\.data)
    }

    /// Polls until `name` answers `expected` (every 50 ms, at most `limit` s).
    static func awaitAnswer(_ server: ServerProcess, _ expected: String, within limit: Double = 5) throws -> Bool {
        try FailoverTests.seconds(until: "app.tm.example", answers: expected, server: server, within: limit) != nil
    }

    @Test("drain: not answered but still probed, shown in status and list, logged with who and why; clear undoes it")
    func drainAndClear() throws {
        let site = try Site()
        try ServerProcess.with(config: site.config.url) { server in
            #expect(try Self.awaitAnswer(server, "127.0.0.11"))
            let drained = try site.admin(["drain", "app", "mec", "--reason", "kernel patch"])
            #expect(drained.status == 0, "\(drained.stderr)")
            #expect(drained.stdout.contains("app") && drained.stdout.contains("drained"), "\(drained.stdout)")
            // Applied at once, no reload: the next query already gets the region.
            #expect(try Self.answer(server) == ["127.0.0.12"])
            let line = try #require(try Self.status(server).first { $0.contains("endpoint=mec ") })
            #expect(line.contains("status=Disabled admin=drained by=root reason=kernel_patch"), "\(line)")
            // Still probed while drained.
            let before = site.probeCount
            usleep(1_000_000)
            #expect(site.probeCount >= before + 2, "probes of the drained endpoint: \(before) -> \(site.probeCount)")
            let list = try site.admin(["list"])
            #expect(list.status == 0)
            #expect(list.stdout.contains("PROFILE") && list.stdout.contains("kernel patch"), "\(list.stdout)")
            #expect(server.log.contains("admin state set"), "\(server.log)")
            #expect(server.log.contains("reason=kernel patch"))

            let cleared = try site.admin(["clear", "app", "mec"])
            #expect(cleared.status == 0, "\(cleared.stderr)")
            #expect(try Self.answer(server) == ["127.0.0.11"])
            #expect(try site.admin(["list"]).stdout.split(separator: "\n").count == 1, "only the header is left")
        }
    }

    @Test("force-down fails over from a healthy endpoint; force-up answers a dead one; both forced down fail open")
    func forceDownAndUp() throws {
        let site = try Site()
        try ServerProcess.with(config: site.config.url) { server in
            #expect(try Self.awaitAnswer(server, "127.0.0.11"))
            try site.succeed(["force-down", "app", "mec"])
            #expect(try Self.answer(server) == ["127.0.0.12"])
            #expect(
                try Self.status(server).contains { $0.contains("endpoint=mec ") && $0.contains("admin=forced-down") })
            try site.succeed(["force-down", "app", "region"])
            // Every enabled endpoint Degraded: fail-open to the first by priority (the disabled one stays out).
            #expect(try Self.answer(server) == ["127.0.0.11"])
            #expect(try Self.status(server).first?.contains("fail-open") == true)
            try site.succeed(["clear", "app", "*"])

            site.mec.kill()
            #expect(try Self.awaitAnswer(server, "127.0.0.12"))
            try site.succeed(["force-up", "app", "mec"])
            #expect(try Self.answer(server) == ["127.0.0.11"], "forced up although its probes fail")
        }
    }

    @Test("--for: the entry expires by itself, is logged, and the endpoint is answered again")
    func expiry() throws {
        let site = try Site()
        try ServerProcess.with(config: site.config.url) { server in
            #expect(try Self.awaitAnswer(server, "127.0.0.11"))
            let drained = try site.admin(["drain", "app", "mec", "--for", "1.5s"])
            #expect(drained.status == 0, "\(drained.stderr)")
            #expect(try Self.answer(server) == ["127.0.0.12"])
            #expect(try Self.status(server).contains { $0.contains("admin=drained") && $0.contains("until=") })
            #expect(try Self.awaitAnswer(server, "127.0.0.11", within: 4), "answered again once the drain expired")
            #expect(server.log.contains("admin state expired"), "\(server.log)")
            #expect(try site.admin(["list"]).stdout.split(separator: "\n").count == 1)
        }
    }

    @Test("A restart keeps the admin state (it is in the state file)")
    func survivesRestart() throws {
        let site = try Site()
        try ServerProcess.with(config: site.config.url) { server in
            #expect(try Self.awaitAnswer(server, "127.0.0.11"))
            try site.succeed(["drain", "app", "mec", "--reason", "maintenance"])
            // The state file is written once changes have been quiet for 250 ms: waited for, rather than slept on,
            // since the whole suite at once can keep the publisher off the CPU for longer.
            let stateFile = site.config.url.appendingPathComponent(".state.json")
            #expect(
                eventuallyTrue(within: 5) {
                    (try? String(contentsOf: stateFile, encoding: .utf8))?.contains("maintenance") == true
                }, "the drain never reached the state file")
        }
        try ServerProcess.with(config: site.config.url) { server in
            #expect(try Self.answer(server) == ["127.0.0.12"])
            #expect(server.log.contains("restored admin state"), "\(server.log)")
            let list = try site.admin(["list"])
            #expect(list.stdout.contains("drained") && list.stdout.contains("maintenance"), "\(list.stdout)")
        }
    }

    @Test("Globs select across profiles; unknown names say what is close; no daemon and no permission are clear")
    func globsAndErrors() throws {
        let site = try Site()
        try ServerProcess.with(config: site.config.url) { server in
            #expect(try Self.awaitAnswer(server, "127.0.0.11"))
            let all = try site.admin(["drain", "*", "me*"])
            #expect(all.status == 0, "\(all.stderr)")
            // `mec` of both profiles, nothing else.
            let rows = all.stdout.split(separator: "\n").dropFirst()
            #expect(rows.count == 2 && rows.allSatisfy { $0.contains(" mec ") }, "\(all.stdout)")
            #expect(try Self.answer(server) == ["127.0.0.12"])
            #expect(try Self.answer(server, "pinned.tm.example") == ["127.0.0.14"])

            let profile = try site.admin(["drain", "ap", "mec"])
            #expect(profile.status == 1)
            #expect(profile.stderr.contains("unknown profile \"ap\"; did you mean app"), "\(profile.stderr)")
            let endpoint = try site.admin(["force-up", "app", "mex"])
            #expect(endpoint.status == 1)
            #expect(endpoint.stderr.contains("unknown endpoint \"mex\" in profile app; did you mean mec"))
            let clear = try site.admin(["clear", "app", "region"])
            #expect(clear.status == 1 && clear.stderr.contains("no admin state matches"), "\(clear.stderr)")
            let duration = try site.admin(["drain", "app", "mec", "--for", "soon"])
            #expect(duration.status != 0 && duration.stderr.contains("--for soon"), "\(duration.stderr)")

            // The socket: mode 0600, and another user is turned away.
            var info = stat()
            #expect(stat(site.directory + "/.control", &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600, "mode \(String(info.st_mode & 0o777, radix: 8))")
            #expect(info.st_mode & S_IFMT == S_IFSOCK)
            if getuid() == 0 {
                // Only the socket's own mode may stand in the way: its directory and a copy of the binary are
                // open to everyone.
                chmod(site.directory, 0o755)
                let binaries = try TemporaryDirectory("edgetm-e2e-admin-bin")
                defer { binaries.remove() }
                chmod(binaries.url.path, 0o755)
                let copy = binaries.file("edgetm")
                try FileManager.default.copyItem(at: try Paths.requireEdgetm(), to: copy)
                let other = try Command.run(
                    URL(fileURLWithPath: "/usr/bin/setpriv"),
                    [
                        "--reuid=65534", "--regid=65534", "--clear-groups", copy.path, "admin", "list", "--control",
                        site.directory + "/.control",
                    ])
                #expect(other.status == 1)
                #expect(other.stderr.contains("permission denied"), "\(other.stderr)")
            }
        }
        // The daemon has stopped: its socket is gone, and the command says so.
        let stopped = try site.admin(["list"])
        #expect(stopped.status == 1)
        #expect(stopped.stderr.contains("edgetm is not running"), "\(stopped.stderr)")
    }
}
