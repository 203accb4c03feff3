import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real etcd (Debian's etcd-server, `/usr/bin/etcd`) of one or more members on free loopback ports, each with its
/// own data directory and log file under one temporary directory. Members are stopped (SIGTERM), killed (SIGKILL)
/// and started again with the same data directory, where they rejoin the cluster; only the fixture's own pids are
/// signalled. Everything is stopped and removed when the fixture goes away.
final class EtcdCluster: @unchecked Sendable {
    // @unchecked: used by one test at a time, from that test's thread.
    static let etcd = URL(fileURLWithPath: "/usr/bin/etcd")
    static let etcdctl = URL(fileURLWithPath: "/usr/bin/etcdctl")

    /// One member: its name, ports and data directory, and its process while it runs.
    final class Member {
        let name: String
        let clientPort: UInt16
        let peerPort: UInt16
        let dataDirectory: URL
        let logFile: URL
        fileprivate(set) var process: ManagedProcess?

        init(name: String, clientPort: UInt16, peerPort: UInt16, directory: TemporaryDirectory) {
            self.name = name
            self.clientPort = clientPort
            self.peerPort = peerPort
            dataDirectory = directory.file("\(name).data")
            logFile = directory.file("\(name).log")
        }

        var clientURL: String { "http://127.0.0.1:\(clientPort)" }
        var peerURL: String { "http://127.0.0.1:\(peerPort)" }
        var isRunning: Bool { process?.isRunning ?? false }
        /// Everything the member logged, over all its runs.
        var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
    }

    let directory: TemporaryDirectory
    let members: [Member]

    /// Every member's client URL, in member order: what `fleet.etcd` lists.
    var clientURLs: [String] { members.map(\.clientURL) }

    /// Starts `count` members (1 or 3) and waits until every one reports itself healthy.
    init(members count: Int = 1, readyTimeout: Double = 20) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.etcd.path) else {
            throw HarnessError("\(Self.etcd.path) not found: install etcd-server (`make deps`)")
        }
        directory = try TemporaryDirectory("edgetm-e2e-etcd")
        var members: [Member] = []
        for index in 1...count {
            members.append(
                Member(
                    name: "e\(index)", clientPort: try FreePort.pick(), peerPort: try FreePort.pick(),
                    directory: directory))
        }
        self.members = members
        do {
            for index in members.indices { try launch(index) }
            try waitUntilHealthy(timeout: readyTimeout)
        } catch {
            stopAll()
            directory.remove()
            throw error
        }
    }

    deinit {
        stopAll()
        directory.remove()
    }

    private var initialCluster: String { members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",") }

    /// The same flags for the first start and for every restart: with a data directory that holds a member, etcd
    /// ignores the `--initial-*` flags and rejoins as that member.
    private func launch(_ index: Int) throws {
        let member = members[index]
        member.process = try ManagedProcess(
            executable: Self.etcd,
            arguments: [
                "--name", member.name, "--data-dir", member.dataDirectory.path,
                "--listen-client-urls", member.clientURL, "--advertise-client-urls", member.clientURL,
                "--listen-peer-urls", member.peerURL, "--initial-advertise-peer-urls", member.peerURL,
                "--initial-cluster", initialCluster, "--initial-cluster-state", "new",
                "--initial-cluster-token", "edgetm-e2e-\(directory.url.lastPathComponent)",
                // Quick elections after a member goes away; a loaded 2-CPU machine still keeps up with these.
                "--heartbeat-interval", "100", "--election-timeout", "1000",
            ],
            stdout: member.logFile, stderr: member.logFile, append: true)
    }

    /// Starts a stopped member again, with its data directory, and waits until it is healthy (it rejoined).
    func start(member index: Int, timeout: Double = 20) throws {
        guard !members[index].isRunning else { return }
        try launch(index)
        try waitUntilHealthy(members: [index], timeout: timeout)
    }

    /// Starts every stopped member, then waits until all are healthy.
    func startAll(timeout: Double = 20) throws {
        for index in members.indices where !members[index].isRunning { try launch(index) }
        try waitUntilHealthy(timeout: timeout)
    }

    /// SIGTERM to the member's own pid and waits for its exit (SIGKILL after 10 s).
    func stop(member index: Int) {
        members[index].process?.terminate(grace: 10)
        members[index].process = nil
    }

    /// SIGKILL, as a crash.
    func kill(member index: Int) {
        members[index].process?.send(SIGKILL)
        members[index].process?.waitForExit(timeout: 5)
        members[index].process = nil
    }

    /// Stops every member, one after the other: each then exits in a tenth of a second, while members signalled
    /// together take 7 s (the leader tries to hand its leadership over to a member that is going away too).
    func stopAll() {
        for index in members.indices { stop(member: index) }
    }

    /// True when the member answers `GET /health` with `"health":"true"` (it has a leader and serves).
    func isHealthy(member index: Int) -> Bool {
        guard members[index].isRunning,
            let result = try? Command.run(
                URL(fileURLWithPath: "/usr/bin/curl"),
                ["-s", "--max-time", "1", members[index].clientURL + "/health"], timeout: 5)
        else { return false }
        return result.stdout.replacingOccurrences(of: " ", with: "").contains(#""health":"true""#)
    }

    /// Waits until each of `members` (default: all) is healthy.
    func waitUntilHealthy(members indices: [Int]? = nil, timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var waiting = indices ?? Array(members.indices)
        while !waiting.isEmpty {
            waiting.removeAll { isHealthy(member: $0) }
            if waiting.isEmpty { return }
            if let gone = waiting.first(where: { !members[$0].isRunning }) {
                throw HarnessError("etcd member \(members[gone].name) exited; its log:\n\(members[gone].log)")
            }
            guard Date() < deadline else {
                let logs = waiting.map { "\(members[$0].name):\n\(members[$0].log.suffix(3000))" }
                throw HarnessError("etcd not healthy within \(timeout) s; logs:\n" + logs.joined(separator: "\n"))
            }
            usleep(100_000)
        }
    }

    // MARK: - etcdctl

    /// `etcdctl ARGS` (API v3) against the running members (or only `member`).
    func etcdctl(_ arguments: [String], member: Int? = nil, timeout: Double = 15) throws -> CommandResult {
        // With no member running, all are named: etcdctl must fail, not fall back to its default 127.0.0.1:2379.
        let live = members.filter(\.isRunning)
        let endpoints = member.map { [members[$0].clientURL] } ?? (live.isEmpty ? members : live).map(\.clientURL)
        return try Command.run(
            Self.etcdctl,
            ["--endpoints", endpoints.joined(separator: ","), "--command-timeout", "5s"] + arguments,
            timeout: timeout, environment: ["ETCDCTL_API": "3"])
    }

    /// `etcdctl ARGS`, which must succeed: its stdout.
    @discardableResult
    func succeed(_ arguments: [String], member: Int? = nil) throws -> String {
        let result = try etcdctl(arguments, member: member)
        guard result.status == 0 else {
            throw HarnessError("etcdctl \(arguments.joined(separator: " ")) failed: \(result.stderr)\(result.stdout)")
        }
        return result.stdout
    }

    func put(_ key: String, _ value: String, member: Int? = nil) throws {
        // `--` so that a value starting with a dash is not an option.
        try succeed(["put", "--", key, value], member: member)
    }

    /// The value of `key`, nil when there is none (a linearizable read: from a member in the quorum).
    func get(_ key: String, member: Int? = nil) throws -> String? {
        try range(key, member: member).first?.value
    }

    func delete(prefix: String) throws { try succeed(["del", "--prefix", "--", prefix]) }

    /// One key as `etcdctl get -w json` shows it.
    struct KeyValue: Equatable, CustomStringConvertible {
        let key: String
        let value: String
        let createRevision: Int
        let modRevision: Int
        let lease: Int

        var description: String { "\(key)@\(modRevision)" }
    }

    /// The keys under `prefix` (or just `key` when `prefix` is false), sorted by key.
    func range(_ key: String, prefix: Bool = false, member: Int? = nil) throws -> [KeyValue] {
        let output = try succeed(["get", "-w", "json"] + (prefix ? ["--prefix"] : []) + ["--", key], member: member)
        guard let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            throw HarnessError("etcdctl get -w json printed no object: \(output)")
        }
        let kvs = object["kvs"] as? [[String: Any]] ?? []
        func text(_ field: Any?) -> String {
            (field as? String).flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        func number(_ field: Any?) -> Int { (field as? NSNumber)?.intValue ?? Int("\(field ?? "")") ?? 0 }
        return kvs.map {
            KeyValue(
                key: text($0["key"]), value: text($0["value"]), createRevision: number($0["create_revision"]),
                modRevision: number($0["mod_revision"]), lease: number($0["lease"]))
        }.sorted { $0.key < $1.key }
    }

    /// The cluster's current revision (any member's header).
    func revision() throws -> Int {
        let output = try succeed(["get", "-w", "json", "--", "/edgetm-e2e-no-such-key"])
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        let header = object?["header"] as? [String: Any]
        return (header?["revision"] as? NSNumber)?.intValue ?? 0
    }
}
