import Foundation
import Testing

/// `edgetm admin` in a fleet: a command given to one server applies on every server, through etcd; while etcd
/// cannot be reached it applies on that server only, until etcd is back and the fleet's admin state wins again.
@Suite("fleet: admin state fleet-wide", .serialized)
struct FleetAdminTests {
    typealias Fleet = EdgetmFleet
    static let mec = Fleet.mecAddress
    static let region = Fleet.regionAddress

    /// `edgetm admin ARGS` on instance `index`, through its control socket.
    static func admin(_ fleet: Fleet, _ index: Int, _ arguments: [String]) throws -> CommandResult {
        try Command.edgetm(["admin"] + arguments + ["--config", fleet.instances[index].url.path])
    }

    @Test("drain on ns1: all three answer the region and show it; list on ns3; clear on ns2; --for ends everywhere")
    func drainListClearExpire() throws {
        let fleet = try Fleet()
        try FleetTests.settled(fleet)

        let drained = try Self.admin(fleet, 0, ["drain", "app", "mec", "--reason", "kernel patch"])
        #expect(drained.status == 0 && drained.stderr.isEmpty, "\(drained.stderr)")
        // Applied at once on the server that got it, without waiting for etcd.
        #expect(try fleet.answer(0) == [Self.region])
        let everywhere = try fleet.seconds(within: 2) {
            try fleet.answer($0) == [Self.region] && fleet.endpointLine($0).contains("admin=drained by=root")
        }
        #expect(everywhere != nil, "\(fleet.describe())")
        let list = try Self.admin(fleet, 2, ["list"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("mec") && list.stdout.contains("kernel patch"), "\(list.stdout)")
        let taken = try fleet.server(2).log
        #expect(
            taken.contains("admin state set") && taken.contains("via=fleet") && taken.contains("by=root"), "\(taken)")
        // Once each, on ns1 too, where the entry comes back from etcd.
        for index in fleet.running {
            let log = try fleet.server(index).log
            #expect(log.components(separatedBy: "admin state set").count == 2, "\(fleet.names[index]): \(log)")
        }

        let cleared = try Self.admin(fleet, 1, ["clear", "app", "mec"])
        #expect(cleared.status == 0, "\(cleared.stderr)")
        #expect(try fleet.allAnswer(Self.mec, within: 2), "\(fleet.describe())")
        #expect(try fleet.server(0).log.contains("admin state cleared"), "\(fleet.logs)")
        #expect(try Self.admin(fleet, 0, ["list"]).stdout.split(separator: "\n").count == 1, "only the header")

        let brief = try Self.admin(fleet, 2, ["drain", "app", "mec", "--for", "2s"])
        #expect(brief.status == 0, "\(brief.stderr)")
        #expect(try fleet.allAnswer(Self.region, within: 2), "\(fleet.describe())")
        #expect(try fleet.allAnswer(Self.mec, within: 4), "the drain ended by itself:\n\(fleet.describe())")
        for index in fleet.running {
            #expect(try fleet.server(index).log.contains("admin state expired"), "\(fleet.names[index])")
        }
    }

    @Test("etcd down: a drain applies on that server only, says so, outlives a restart; etcd back: the fleet's wins")
    func etcdOutage() throws {
        let fleet = try Fleet()
        try FleetTests.settled(fleet)
        fleet.etcd.stopAll()
        #expect(
            try fleet.seconds(within: 8) { Fleet.field(try fleet.zoneStatus($0), "fleet") == "local-only" } != nil,
            "\(fleet.describe())")

        let drained = try Self.admin(fleet, 0, ["drain", "app", "mec"])
        #expect(drained.status == 0, "\(drained.stderr)")
        #expect(drained.stderr.contains("applied on this server only: etcd cannot be reached"), "\(drained.stderr)")
        #expect(try fleet.answer(0) == [Self.region])
        #expect(try fleet.answer(1) == [Self.mec] && fleet.answer(2) == [Self.mec], "\(fleet.describe())")
        // Kept in the state file (written once changes have been quiet for 250 ms): a restart keeps it.
        let stateFile = fleet.instances[0].url.appendingPathComponent(".state.json")
        #expect(
            eventuallyTrue(within: 5) {
                (try? String(contentsOf: stateFile, encoding: .utf8))?.contains("drained") == true
            }, "the drain never reached the state file")
        _ = fleet.stop(0)
        try fleet.start(0)
        #expect(
            try fleet.seconds(within: 5) { try $0 != 0 || fleet.answer(0) == [Self.region] } != nil,
            "\(fleet.describe())")
        #expect(try fleet.server(0).log.contains("restored admin state"), "\(fleet.logs)")

        try fleet.etcd.startAll()
        // The fleet holds no admin state: ns1's own drain gives way to it.
        #expect(try fleet.allAnswer(Self.mec, within: 8), "\(fleet.describe())")
        #expect(try Self.admin(fleet, 0, ["list"]).stdout.split(separator: "\n").count == 1, "only the header")
    }
}
