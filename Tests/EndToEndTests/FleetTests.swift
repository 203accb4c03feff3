import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Several instances through a real etcd: vantage points and the fleet's verdict, `edgetm publish` and refused
/// revisions, expiring instances, etcd outages and the cached revision. The instances are the real binary, the
/// endpoints `scripts/endpoint.py`, the answers read with dig.
@Suite("fleet: several instances sharing etcd", .serialized)
struct FleetTests {
    typealias Fleet = EdgetmFleet
    static let mec = Fleet.mecAddress
    static let region = Fleet.regionAddress

    /// Waits until every instance answers the MEC endpoint from the published revision and counts all vantage
    /// points, so that a test starts from a settled fleet.
    static func settled(_ fleet: Fleet, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let everyone = fleet.names.map { "\($0):Online" }.joined(separator: ",")
        let ready = try fleet.seconds(within: 20) {
            try fleet.answer($0) == [mec]
                && fleet.endpointLine($0).contains("vantage=\(everyone) fleet=Online")
                && Fleet.field(fleet.zoneStatus($0), "fleet") == "ok"
        }
        #expect(ready != nil, "not settled:\n\(fleet.describe())\n\(fleet.logs)", sourceLocation: sourceLocation)
        try #require(ready != nil, sourceLocation: sourceLocation)
    }

    // MARK: - The etcd fixture

    @Test("etcd fixture: members stopped, killed and started again rejoin and keep the data; only its pids")
    func etcdFixture() throws {
        var pids: [Int32] = []
        do {
            let etcd = try EtcdCluster(members: 3)
            pids = etcd.members.compactMap { $0.process?.pid }
            try etcd.put("/t/a", "1")
            #expect(try etcd.get("/t/a") == "1")

            etcd.stop(member: 1)
            #expect(!etcd.members[1].isRunning)
            try etcd.waitUntilHealthy(members: [0, 2], timeout: 15)
            try etcd.put("/t/a", "2")
            try etcd.start(member: 1)
            // A linearizable read through the restarted member alone sees what was written while it was away.
            #expect(try etcd.get("/t/a", member: 1) == "2")

            etcd.kill(member: 2)
            // It may have been the leader: the other two elect one first.
            try etcd.waitUntilHealthy(members: [0, 1], timeout: 15)
            try etcd.put("/t/b", "3")
            try etcd.start(member: 2)
            #expect(try etcd.get("/t/b", member: 2) == "3")
            let members = try etcd.succeed(["member", "list"]).split(separator: "\n")
            #expect(members.count == 3 && members.allSatisfy { $0.contains("started") }, "\(members)")
            pids += etcd.members.compactMap { $0.process?.pid }

            etcd.stopAll()
            #expect(etcd.members.allSatisfy { !$0.isRunning })
            #expect(etcd.members.indices.allSatisfy { !etcd.isHealthy(member: $0) }, "no member answers")
            try etcd.startAll()
            #expect(try etcd.get("/t/b") == "3")
            #expect(try etcd.range("/t/", prefix: true).map(\.key) == ["/t/a", "/t/b"])
            pids += etcd.members.compactMap { $0.process?.pid }
        }
        // The fixture is gone: so are all its processes.
        #expect(pids.count == 9)
        #expect(pids.allSatisfy { Glibc.kill($0, 0) != 0 }, "\(pids)")
    }

    // MARK: - Vantage points

    @Test("one vantage point refused: nobody fails over; two of three: all fail over and agree; emptied: fail back")
    func vantagePoints() throws {
        let fleet = try Fleet()
        try Self.settled(fleet)

        try fleet.refuse(["127.0.0.51"])
        let one = "vantage=ns1:Degraded,ns2:Online,ns3:Online fleet=Online"
        #expect(
            try fleet.seconds(within: 8) { try fleet.endpointLine($0).contains(one) } != nil,
            "\(fleet.describe())")
        // Two seconds more (two probe rounds): still nobody has failed over, ns1 included.
        for _ in 0..<8 {
            for index in fleet.running { #expect(try fleet.answer(index) == [Self.mec], "\(fleet.names[index])") }
            usleep(250_000)
        }

        try fleet.refuse(["127.0.0.51", "127.0.0.52"])
        #expect(try fleet.allAnswer(Self.region, within: 8), "\(fleet.describe())")
        let two = "vantage=ns1:Degraded,ns2:Degraded,ns3:Online fleet=Degraded"
        #expect(
            try fleet.seconds(within: 3) { try fleet.endpointLine($0).contains(two) } != nil,
            "\(fleet.describe())")
        // They agree, ns3 too, which sees the MEC endpoint up.
        for _ in 0..<4 {
            for index in fleet.running { #expect(try fleet.answer(index) == [Self.region], "\(fleet.names[index])") }
            usleep(250_000)
        }

        try fleet.refuse([])
        #expect(try fleet.allAnswer(Self.mec, within: 8), "\(fleet.describe())")
        #expect(
            try fleet.seconds(within: 3) {
                try fleet.endpointLine($0).contains("vantage=ns1:Online,ns2:Online,ns3:Online fleet=Online")
            } != nil, "\(fleet.describe())")
    }

    // MARK: - Publishing

    @Test("publish: every instance serves the new revision; --dry-run lists and writes nothing; remove")
    func publishRevisions() throws {
        let fleet = try Fleet()
        try Self.settled(fleet)
        for index in fleet.running {
            #expect(Fleet.field(try fleet.zoneStatus(index), "config") == "\(fleet.firstRevision)")
        }

        // A changed profile (TTL 5 -> 7) and a new one.
        try fleet.setPublished("app.json", Fleet.appProfile(port: fleet.probePort, ttl: 7))
        let web = TestConfig.profile(
            "web", endpoints: [TestConfig.Endpoint(name: "edge", target: "127.0.0.41", priority: 1)])
        try fleet.setPublished("web.json", web)
        let before = try fleet.configKeys()
        let dry = try fleet.publish(["--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        // One line per profile, in whatever order, then the totals.
        let dryLines = dry.stdout.split(separator: "\n").map(String.init)
        #expect(Set(dryLines.dropLast()) == ["change app", "add web"] && dryLines.count == 3, "\(dry.stdout)")
        #expect(dryLines.last == "dry-run added=1 changed=1 removed=0", "\(dry.stdout)")
        #expect(try fleet.configKeys() == before, "--dry-run wrote to etcd")

        let published = try fleet.publish()
        #expect(published.status == 0, "\(published.stderr)")
        #expect(published.stdout.contains("profiles=2 added=1 changed=1 removed=0"), "\(published.stdout)")
        let revision = try #require(Fleet.revision(printedBy: published), "\(published.stdout)")
        #expect(revision > fleet.firstRevision)
        let served = try fleet.seconds(within: 5) {
            try Fleet.field(fleet.zoneStatus($0), "config") == "\(revision)"
                && fleet.answer($0, "web.tm.example") == ["127.0.0.41"]
                && fleet.server($0).dig([Fleet.app, "A"]).answer.first?.ttl == 7
        }
        #expect(served != nil, "\(fleet.describe())")
        let keys = try fleet.configKeys().map(\.key)
        for key in ["config/profiles/app.json", "config/profiles/web.json", "config/published"] {
            #expect(keys.contains(Fleet.prefix + key), "\(keys)")
        }

        // Removed from the directory: listed by --dry-run, then gone from every instance.
        try fleet.setPublished("web.json", nil)
        let dryRemove = try fleet.publish(["--dry-run"])
        #expect(dryRemove.stdout.split(separator: "\n") == ["remove web", "dry-run added=0 changed=0 removed=1"])
        let removed = try fleet.publish()
        #expect(removed.stdout.contains("profiles=1 added=0 changed=0 removed=1"), "\(removed.stdout)")
        let next = try #require(Fleet.revision(printedBy: removed))
        #expect(
            try fleet.seconds(within: 5) {
                try Fleet.field(fleet.zoneStatus($0), "config") == "\(next)"
                    && fleet.server($0).dig(["web.tm.example", "A"]).status == "NXDOMAIN"
            } != nil, "\(fleet.describe("web.tm.example"))")
        #expect(!(try fleet.configKeys().map(\.key).contains(Fleet.prefix + "config/profiles/web.json")))
    }

    @Test("fleet metrics pass promtool: connected, vantage points, the revision, verdict writes and renewals")
    func metrics() throws {
        let fleet = try Fleet()
        try Self.settled(fleet)
        let url = "http://127.0.0.1:\(fleet.httpPorts[0])/metrics"
        let check = try Command.run(
            URL(fileURLWithPath: "/bin/sh"), ["-c", "curl -s \(url) | promtool check metrics"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let page = try Command.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", url]).stdout
        let lines = Set(page.split(separator: "\n").map(String.init))
        #expect(lines.contains("edgetm_fleet_connected 1"), "\(page)")
        #expect(lines.contains("edgetm_fleet_vantage_points 3"), "\(page)")
        #expect(lines.contains("edgetm_fleet_config_revision \(fleet.firstRevision)"), "\(page)")
        let writes = lines.first { $0.hasPrefix("edgetm_fleet_etcd_writes_total{kind=\"verdicts\"} ") }
        #expect(writes.flatMap { Int($0.split(separator: " ").last ?? "") }.map { $0 >= 1 } == true, "\(page)")
        #expect(lines.contains { $0.hasPrefix("edgetm_fleet_etcd_writes_total{kind=\"lease_renewal\"} ") }, "\(page)")
    }

    @Test("a publish too large for one etcd transaction goes in several; every instance applies it once, whole")
    func publishInBatches() throws {
        let fleet = try Fleet()
        try Self.settled(fleet)
        let reloadsBefore = try fleet.running.map { try fleet.server($0).log.components(separatedBy: "reloaded").count }
        // 250 profile files: more than one transaction may hold (100 operations each here, 128 in etcd).
        for index in 0..<250 {
            let name = String(format: "bulk%03d", index)
            try fleet.setPublished(
                "\(name).json",
                TestConfig.profile(
                    name,
                    endpoints: [TestConfig.Endpoint(name: "edge", target: "127.0.1.\(index % 250 + 1)", priority: 1)]))
        }
        let published = try fleet.publish()
        #expect(published.status == 0, "\(published.stderr)")
        #expect(
            published.stdout.contains("profiles=251 added=250 changed=0 removed=0 transactions=5"),
            "\(published.stdout)")
        let revision = try #require(Fleet.revision(printedBy: published), "\(published.stdout)")
        let served = try fleet.seconds(within: 10) {
            try Fleet.field(fleet.zoneStatus($0), "config") == "\(revision)"
                && fleet.answer($0, "bulk249.tm.example") == ["127.0.1.250"]
        }
        #expect(served != nil, "\(fleet.describe())")
        // One reload each: none of the batches before the last marker was applied on its own.
        for (position, index) in fleet.running.enumerated() {
            let log = try fleet.server(index).log
            #expect(log.components(separatedBy: "reloaded").count == reloadsBefore[position] + 1, "\(log)")
        }
    }

    @Test("a broken revision put into etcd is refused and shown; a broken directory is not published at all")
    func brokenRevisions() throws {
        let fleet = try Fleet()
        try Self.settled(fleet)
        let key = Fleet.prefix + "config/profiles/app.json"

        try fleet.etcd.put(key, "{ \"name\": \"app\", broken")
        let refused = try #require(try fleet.etcd.range(key).first?.modRevision)
        let shown = try fleet.seconds(within: 5) {
            let zone = try fleet.zoneStatus($0)
            return Fleet.field(zone, "refused") == "\(refused)"
                && Fleet.field(zone, "config") == "\(fleet.firstRevision)"
        }
        #expect(shown != nil, "\(fleet.describe())")
        // The old revision keeps serving, probes and all.
        for index in fleet.running {
            #expect(try fleet.answer(index) == [Self.mec])
            #expect(try fleet.endpointLine(index).contains("fleet=Online"))
            #expect(fleet.servers[index]?.isRunning == true)
        }

        // A broken directory: every error as `FILE: JSON.PATH: message`, exit 1, nothing written.
        try fleet.setPublished("web.json", CheckCommandTests.brokenWeb)
        let before = try fleet.configKeys()
        let broken = try fleet.publish()
        #expect(broken.status == 1, "\(broken.stdout)\(broken.stderr)")
        #expect(!broken.stderrLines.isEmpty && broken.stderrLines.allSatisfy(CheckCommandTests.isIssueLine))
        #expect(broken.stderr.contains("web.json: "), "\(broken.stderr)")
        #expect(broken.stdout.isEmpty, "\(broken.stdout)")
        #expect(try fleet.configKeys() == before, "a refused publish wrote to etcd")
        let dry = try fleet.publish(["--dry-run"])
        #expect(dry.status == 1 && dry.stderrLines.allSatisfy(CheckCommandTests.isIssueLine), "\(dry.stderr)")

        // Mended and published again: served, and nothing is refused any more.
        try fleet.setPublished("web.json", nil)
        let mended = try fleet.publish()
        let revision = try #require(Fleet.revision(printedBy: mended), "\(mended.stdout)\(mended.stderr)")
        #expect(
            try fleet.seconds(within: 5) {
                let zone = try fleet.zoneStatus($0)
                return Fleet.field(zone, "config") == "\(revision)" && Fleet.field(zone, "refused") == nil
            } != nil, "\(fleet.describe())")
    }

    // MARK: - Instances coming and going

    @Test("an instance killed with SIGKILL: its verdicts expire with its lease; the others stop counting it")
    func killedInstance() throws {
        let fleet = try Fleet()
        try Self.settled(fleet)
        let health = Fleet.prefix + "health/ns3/"
        let presence = Fleet.prefix + "instances/ns3"
        #expect(try fleet.etcd.range(health, prefix: true).contains { $0.key.hasSuffix("/mec") })
        #expect(try fleet.etcd.range(presence).count == 1)
        for index in fleet.running { #expect(Fleet.field(try fleet.zoneStatus(index), "vantage") == "3") }

        let killed = Date()
        fleet.kill(2)
        var gone: Double?
        while Date().timeIntervalSince(killed) < 10 {
            if try fleet.etcd.range(health, prefix: true).isEmpty && fleet.etcd.range(presence).isEmpty {
                gone = Date().timeIntervalSince(killed)
                break
            }
            usleep(100_000)
        }
        let expiry = try #require(gone, "ns3's keys are still in etcd 10 s after SIGKILL")
        #expect(expiry <= 6.5, "ns3's keys left \(expiry) s after SIGKILL")

        let dropped = try fleet.seconds(within: 3) {
            let line = try fleet.endpointLine($0)
            return try line.contains("vantage=ns1:Online,ns2:Online fleet=Online") && !line.contains("ns3")
                && Fleet.field(fleet.zoneStatus($0), "vantage") == "2"
        }
        #expect(dropped != nil, "\(fleet.describe())")
        for index in fleet.running { #expect(try fleet.answer(index) == [Self.mec]) }
    }

    @Test("etcd: one of three members stopped changes nothing; all stopped: local-only, answering; back: ok")
    func etcdOutage() throws {
        let fleet = try Fleet(etcdMembers: 3)
        try Self.settled(fleet)

        // The first member every instance lists goes away: the others are a quorum.
        fleet.etcd.stop(member: 0)
        let watchedUntil = Date().addingTimeInterval(4)
        while Date() < watchedUntil {
            for index in fleet.running {
                #expect(try fleet.answer(index) == [Self.mec])
                #expect(Fleet.field(try fleet.zoneStatus(index), "fleet") == "ok", "\(fleet.describe())")
            }
            usleep(250_000)
        }
        try fleet.etcd.start(member: 0)

        fleet.etcd.stopAll()
        let local = try fleet.seconds(within: 10) {
            try fleet.answer($0) == [Self.mec] && Fleet.field(fleet.zoneStatus($0), "fleet") == "local-only"
        }
        #expect(local != nil, "\(fleet.describe())")
        // Local-only: each instance routes on its own verdicts.
        try fleet.refuse(["127.0.0.51"])
        let own = try fleet.seconds(within: 5) {
            try fleet.answer($0) == [$0 == 0 ? Self.region : Self.mec]
        }
        #expect(own != nil, "\(fleet.describe())")
        #expect(try fleet.zoneStatus(0).contains("vantage=1"), "\(fleet.describe())")
        try fleet.refuse([])
        #expect(try fleet.allAnswer(Self.mec, within: 5), "\(fleet.describe())")

        try fleet.etcd.startAll()
        let back = try fleet.seconds(within: 10) {
            let zone = try fleet.zoneStatus($0)
            return Fleet.field(zone, "fleet") == "ok" && Fleet.field(zone, "vantage") == "3"
        }
        #expect(back != nil, "\(fleet.describe())")
    }

    @Test("restarted while etcd is down: serves the revision it cached; SIGTERM ends it within 3 s, etcd up or down")
    func cachedRevisionAndShutdown() throws {
        let fleet = try Fleet(instances: 2)
        try Self.settled(fleet)
        let revision = fleet.firstRevision

        // etcd up: SIGTERM ends ns2 quickly, and its lease is revoked at once.
        let up = fleet.stop(1, within: 10)
        let upSeconds = try #require(up.termination?.seconds, "ns2 still running 10 s after SIGTERM")
        #expect(upSeconds <= 3 && up.termination?.status == 0, "\(up.termination!)\n\(up.log)")
        #expect(try fleet.etcd.range(Fleet.prefix + "instances/ns2").isEmpty, "lease not revoked on SIGTERM")
        #expect(try fleet.etcd.range(Fleet.prefix + "health/ns2/", prefix: true).isEmpty)

        fleet.etcd.stopAll()
        // etcd down: SIGTERM still ends ns1 quickly.
        let down = fleet.stop(0, within: 10)
        let downSeconds = try #require(down.termination?.seconds, "ns1 still running 10 s after SIGTERM")
        #expect(downSeconds <= 3 && down.termination?.status == 0, "\(down.termination!)\n\(down.log)")

        // Started again with etcd still down: the cached revision, not the local profiles (127.0.0.31).
        try fleet.start(0)
        let cached = try fleet.seconds(within: 10) {
            let zone = try fleet.zoneStatus($0)
            return try fleet.answer($0) == [Self.mec] && Fleet.field(zone, "config") == "\(revision)"
                && Fleet.field(zone, "fleet") == "local-only"
        }
        #expect(cached != nil, "\(fleet.describe())\n\(fleet.logs)")
        for _ in 0..<5 {
            #expect(try fleet.answer(0) != [Fleet.localAddress], "serves its local files")
            usleep(200_000)
        }
        let again = fleet.stop(0, within: 10)
        let againSeconds = try #require(again.termination?.seconds, "ns1 still running 10 s after SIGTERM")
        #expect(againSeconds <= 3, "\(again.termination!)\n\(again.log)")
    }
}
