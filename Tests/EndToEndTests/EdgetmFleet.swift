import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Several `edgetm serve` instances (ns1, ns2, ...) sharing one etcd, each probing from its own source address
/// (127.0.0.51, .52, ...) and with its own configuration directory, state file and control socket.
///
/// What they serve is published from a directory of its own (`published`): a Priority profile `app` with the MEC
/// endpoint 127.0.0.11 (priority 1; `scripts/endpoint.py --refuse-file`, so that a test can turn chosen vantage
/// points away) and the region 127.0.0.12 (priority 2), probed over HTTP every second, timeout 0.5 s, no failure
/// tolerated. The instances' own `profiles/` differ on purpose: there `app` answers 127.0.0.31, so an answer of
/// 127.0.0.11 or .12 shows a revision from etcd is served.
final class EdgetmFleet: @unchecked Sendable {
    // @unchecked: used by one test at a time, from that test's thread.
    static let prefix = "/edgetm/"
    static let zone = "tm.example"
    static let app = "app.tm.example"
    static let mecAddress = "127.0.0.11"
    static let regionAddress = "127.0.0.12"
    /// What the instances' own profiles/app.json answers.
    static let localAddress = "127.0.0.31"

    let etcd: EtcdCluster
    let probePort: UInt16
    let mec: FailoverTests.HTTPEndpoint
    let region: FailoverTests.HTTPEndpoint
    /// The MEC endpoint's refuse file: the probe source addresses it turns away.
    let refuseFile: URL
    /// The directory `edgetm publish` reads: edgetm.json with the fleet section and profiles/.
    let published: TestConfig
    /// One configuration directory per instance.
    let instances: [TestConfig]
    let names: [String]
    let sources: [String]
    /// Each instance's HTTP interface (metrics), on 127.0.0.1.
    let httpPorts: [UInt16]
    private(set) var servers: [ServerProcess?]
    private let scratch: TemporaryDirectory
    /// The revision printed by the first publish.
    private(set) var firstRevision = 0

    /// Starts etcd (`etcdMembers` members), the two endpoints, publishes `published`, then starts `count` instances
    /// (`start: false` leaves them to the test).
    init(
        instances count: Int = 3, etcdMembers: Int = 1, degradedWhen: Any = "majority", start: Bool = true
    ) throws {
        etcd = try EtcdCluster(members: etcdMembers)
        scratch = try TemporaryDirectory("edgetm-e2e-fleet")
        refuseFile = scratch.file("refuse")
        try Data().write(to: refuseFile)
        probePort = try FreePort.pick()
        mec = try FailoverTests.HTTPEndpoint(
            address: Self.mecAddress, port: probePort, arguments: ["--refuse-file", refuseFile.path])
        region = try FailoverTests.HTTPEndpoint(address: Self.regionAddress, port: probePort)
        names = (1...count).map { "ns\($0)" }
        sources = (1...count).map { "127.0.0.\(50 + $0)" }
        let httpPorts = try (1...count).map { _ in try FreePort.pick() }
        self.httpPorts = httpPorts
        let (names, sources) = (names, sources)
        let urls = etcd.clientURLs
        func server(instance: String, source: String?, httpPort: UInt16? = nil) -> String {
            var extra: [String: Any] = [
                "fleet": [
                    "etcd": urls, "prefix": Self.prefix, "instance": instance, "degradedWhen": degradedWhen,
                ] as [String: Any]
            ]
            if let source { extra["probeSourceAddress"] = [source] }
            if let httpPort { extra["http"] = ["listen": ["127.0.0.1:\(httpPort)"]] }
            return TestConfig.server(extra: extra)
        }
        published = try TestConfig(
            server: server(instance: "publisher", source: nil),
            profiles: ["app.json": Self.appProfile(port: probePort)])
        instances = try names.indices.map { index in
            try TestConfig(
                server: server(instance: names[index], source: sources[index], httpPort: httpPorts[index]),
                profiles: [
                    "app.json": TestConfig.profile(
                        "app",
                        endpoints: [TestConfig.Endpoint(name: "local", target: Self.localAddress, priority: 1)])
                ])
        }
        servers = Array(repeating: nil, count: count)
        let result = try publish()
        guard result.status == 0, let revision = Self.revision(printedBy: result) else {
            throw HarnessError("the first edgetm publish failed: \(result.stdout)\(result.stderr)")
        }
        firstRevision = revision
        if start {
            for index in names.indices { try self.start(index) }
        }
    }

    deinit {
        for index in servers.indices { servers[index]?.stop() }
        for config in instances { config.remove() }
        published.remove()
        scratch.remove()
    }

    /// The published `app`: MEC (priority 1) and region (priority 2) on `port`, 1 s interval, 0.5 s timeout.
    static func appProfile(port: UInt16, ttl: Int = 5, region: String = regionAddress) -> String {
        """
        {
          "name": "app",
          "properties": {
            "trafficRoutingMethod": "Priority",
            "dnsConfig": { "relativeName": "app", "ttl": \(ttl) },
            "monitorConfig": { "protocol": "HTTP", "port": \(port), "path": "/health",
                               "intervalInSeconds": 1, "timeoutInSeconds": 0.5, "toleratedNumberOfFailures": 0 },
            "endpoints": [
              { "name": "mec", "type": "externalEndpoints", "properties": { "target": "\(mecAddress)", "priority": 1 } },
              { "name": "region", "type": "externalEndpoints", "properties": { "target": "\(region)", "priority": 2 } }
            ]
          }
        }
        """
    }

    // MARK: - Publishing

    /// `edgetm publish --config <published> ARGS`.
    func publish(_ arguments: [String] = [], directory: URL? = nil) throws -> CommandResult {
        try Command.edgetm(["publish", "--config", (directory ?? published.url).path] + arguments)
    }

    /// N of `revision=N ...` on the first line of a publish's stdout.
    static func revision(printedBy result: CommandResult) -> Int? {
        result.stdout.split(separator: "\n").first.flatMap { field(String($0), "revision") }.flatMap { Int($0) }
    }

    /// Writes (or, with nil, removes) `profiles/FILE` of the published directory.
    func setPublished(_ file: String, _ text: String?) throws {
        let url = published.directory.file("profiles").appendingPathComponent(file)
        if let text {
            try Data(text.utf8).write(to: url)
        } else {
            try FileManager.default.removeItem(at: url)
        }
    }

    /// Every key under `<prefix>config/`, with its revisions.
    func configKeys() throws -> [EtcdCluster.KeyValue] { try etcd.range(Self.prefix + "config/", prefix: true) }

    /// The MEC endpoint turns away the probes from these source addresses (none: it answers everyone).
    func refuse(_ addresses: [String]) throws {
        try Data(addresses.map { $0 + "\n" }.joined().utf8).write(to: refuseFile)
    }

    // MARK: - Instances

    func start(_ index: Int) throws {
        precondition(servers[index] == nil, "\(names[index]) runs already")
        servers[index] = try ServerProcess.start(config: instances[index].url)
    }

    /// SIGTERM without escalating: the termination once it exited within `timeout` s (nil: still running, then
    /// killed). The instance's log is returned too, as the server's log goes with it.
    @discardableResult
    func stop(_ index: Int, within timeout: Double = 10) -> (termination: Termination?, log: String) {
        guard let server = servers[index] else { return (nil, "") }
        let termination = server.sigterm(waiting: timeout)
        let log = server.log
        server.stop()
        servers[index] = nil
        return (termination, log)
    }

    /// SIGKILL, as a crash.
    func kill(_ index: Int) {
        guard let server = servers[index] else { return }
        server.child.send(SIGKILL)
        server.child.waitForExit(timeout: 5)
        server.stop()
        servers[index] = nil
    }

    var running: [Int] { servers.indices.filter { servers[$0] != nil } }

    func server(_ index: Int) throws -> ServerProcess {
        try #require(servers[index], "\(names[index]) is not running")
    }

    /// The A records `app` (or `name`) answers on instance `index`, sorted; empty when none came back.
    func answer(_ index: Int, _ name: String = app) throws -> [String] {
        try server(index).dig([name, "A", "+tries=1", "+time=1"]).answerData("A")
    }

    /// The TXT lines of `CH TXT name`, quotes removed.
    func status(_ index: Int, _ name: String) throws -> [String] {
        try server(index).dig([name, "TXT", "-c", "CH", "+tries=1", "+time=1"]).answer.map {
            $0.data.replacingOccurrences(of: "\"", with: "")
        }
    }

    /// The zone's first status line (`config=... fleet=... vantage=...`), empty when none came.
    func zoneStatus(_ index: Int) throws -> String { try status(index, Self.zone).first ?? "" }

    /// The status line of `endpoint` of profile `app`, empty when none.
    func endpointLine(_ index: Int, _ endpoint: String = "mec", profile: String = app) throws -> String {
        try status(index, profile).first { $0.hasPrefix("endpoint=\(endpoint) ") } ?? ""
    }

    /// The value of `key=` in a status line.
    static func field(_ line: String, _ key: String) -> String? {
        line.split(separator: " ").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }

    /// The seconds until `condition` held for every running instance (polled every 100 ms), nil if not within
    /// `limit` s.
    func seconds(within limit: Double, until condition: (Int) throws -> Bool) rethrows -> Double? {
        let start = Date()
        repeat {
            if try running.allSatisfy(condition) { return Date().timeIntervalSince(start) }
            usleep(100_000)
        } while Date().timeIntervalSince(start) < limit
        return nil
    }

    /// True once every running instance answers `app` with `address` (within `limit` s).
    func allAnswer(_ address: String, within limit: Double = 10) throws -> Bool {
        try seconds(within: limit) { try answer($0) == [address] } != nil
    }

    /// What every running instance shows now, for an expectation's message.
    func describe(_ name: String = app) -> String {
        running.map { index in
            let answer = (try? self.answer(index, name)) ?? []
            let lines = ((try? status(index, Self.zone).prefix(1)) ?? []) + ((try? status(index, name)) ?? [])
            return "\(names[index]) answers \(answer):\n  " + lines.joined(separator: "\n  ")
        }.joined(separator: "\n")
    }

    /// Every running instance's log (the end of it).
    var logs: String {
        running.compactMap { index in servers[index].map { "\(names[index]):\n\($0.log.suffix(4000))" } }
            .joined(separator: "\n")
    }
}
