import Foundation
import TMControl
import TMRouting
import Testing

@testable import TMEtcd
@testable import TMFleet

/// The watcher's mirror of the fleet's keys: which configuration revision it holds, whose verdicts count, and the
/// fleet's admin state.
struct FleetMirrorTests {
    let keys = FleetKeys(prefix: "/edgetm/")

    func kv(_ key: String, _ value: String, revision: Int64) -> EtcdKeyValue {
        EtcdKeyValue(key: key, value: Array(value.utf8), modRevision: revision, createRevision: revision, lease: 0)
    }

    func verdict(_ status: MonitorStatus) throws -> String {
        String(
            decoding: try JSONEncoder.fleet.encode(VantageVerdict(status: status, result: nil, since: Date())),
            as: UTF8.self)
    }

    @Test func keysRoundTripNamesWithSlashes() {
        let key = EndpointKey(profile: "a/b%c", endpoint: "mec/1")
        #expect(keys.parse(keys.health(of: "ns/1", key)) == .health(instance: "ns/1", key))
        #expect(keys.parse(keys.profile(file: "app.json")) == .profile(file: "app.json"))
        #expect(keys.parse("/edgetm/config/geo-subnets") == .geoSubnets)
        #expect(keys.parse("/edgetm/instances/ns1") == .instance("ns1"))
        #expect(keys.parse("/other/config/geo-subnets") == .other)
        #expect(FleetKeys(prefix: "/tm").prefix == "/tm/")
    }

    @Test func theRevisionIsTheLastChangeOfAConfigurationKey() throws {
        var mirror = FleetMirror(keys: keys)
        mirror.reset(EtcdRange(revision: 9, kvs: []))
        #expect(mirror.documents == nil)
        mirror.reset(
            EtcdRange(
                revision: 12,
                kvs: [
                    kv("/edgetm/config/profiles/app.json", "{}", revision: 5),
                    kv("/edgetm/config/published", "{}", revision: 7),
                    kv("/edgetm/instances/ns2", "{}", revision: 11),
                ]))
        #expect(mirror.configRevision == 7)
        #expect(mirror.documents?.profiles.keys.sorted() == ["app.json"])
        // A verdict is not a configuration change; a deleted profile is.
        let verdictOnly = mirror.apply(
            EtcdWatchBatch(
                revision: 13,
                events: [.put(kv("/edgetm/health/ns2/app/mec", try verdict(.degraded), revision: 13))]))
        #expect(!verdictOnly.config && verdictOnly.view)
        #expect(mirror.configRevision == 7)
        let deleted = mirror.apply(
            EtcdWatchBatch(revision: 14, events: [.delete(key: "/edgetm/config/profiles/app.json", modRevision: 14)]))
        #expect(deleted.config)
        #expect(mirror.configRevision == 14)
        // Every document gone (deleted by hand): nothing to apply, rather than a configuration of no profiles.
        #expect(mirror.documents == nil)
    }

    @Test func aPublishInSeveralTransactionsIsOneRevisionOnceComplete() {
        var mirror = FleetMirror(keys: keys)
        let marker = { (state: PublishMarker.State) in
            String(decoding: PublishMarker(state: state, host: "h", profiles: 2).encoded, as: UTF8.self)
        }
        mirror.reset(EtcdRange(revision: 5, kvs: [kv("/edgetm/config/published", marker(.publishing), revision: 5)]))
        #expect(mirror.isPublishing)
        _ = mirror.apply(
            EtcdWatchBatch(revision: 6, events: [.put(kv("/edgetm/config/profiles/a.json", "{}", revision: 6))]))
        #expect(mirror.isPublishing)
        let done = mirror.apply(
            EtcdWatchBatch(revision: 7, events: [.put(kv("/edgetm/config/published", marker(.published), revision: 7))])
        )
        #expect(done.config && !mirror.isPublishing && mirror.configRevision == 7)
        // A marker written by hand, not by publish, is a complete revision.
        _ = mirror.apply(
            EtcdWatchBatch(revision: 8, events: [.put(kv("/edgetm/config/published", "by hand", revision: 8))]))
        #expect(!mirror.isPublishing)
    }

    @Test func onlyLiveInstancesCount() throws {
        var mirror = FleetMirror(keys: keys)
        let key = EndpointKey(profile: "app", endpoint: "mec")
        mirror.reset(
            EtcdRange(
                revision: 3,
                kvs: [
                    kv("/edgetm/instances/ns2", "{}", revision: 2),
                    kv("/edgetm/health/ns2/app/mec", try verdict(.degraded), revision: 2),
                    // Left by an instance whose presence is gone: not counted.
                    kv("/edgetm/health/ns3/app/mec", try verdict(.degraded), revision: 3),
                    // Not a verdict: ignored.
                    kv("/edgetm/health/ns2/app/other", "not json", revision: 3),
                ]))
        #expect(mirror.view.others(on: key, except: "ns1").map(\.instance) == ["ns2"])
        _ = mirror.apply(EtcdWatchBatch(revision: 4, events: [.delete(key: "/edgetm/instances/ns2", modRevision: 4)]))
        #expect(mirror.view.others(on: key, except: "ns1").isEmpty)
        #expect(mirror.view.others(on: EndpointKey(profile: "app", endpoint: "other"), except: "ns1").isEmpty)
    }

    @Test func adminKeysAreTheFleetsAdminStateAndNeverAView() throws {
        let until = Date(timeIntervalSince1970: 1_800_000_000.125)
        let drained = AdminEntry(
            profile: "app", endpoint: "mec/1",
            override: AdminOverride(action: .drained, by: "root", reason: "kernel patch", until: until))
        let forced = AdminEntry(
            profile: "app", endpoint: "region",
            override: AdminOverride(action: .forcedUp, by: "ops", reason: nil, until: nil))
        let drainedKey = keys.admin(EndpointKey(profile: "app", endpoint: "mec/1"))
        #expect(drainedKey == "/edgetm/admin/app/mec%2F1")
        #expect(keys.parse(drainedKey) == .admin(EndpointKey(profile: "app", endpoint: "mec/1")))
        // The end survives to the millisecond: every server expires the entry when the one that set it does.
        #expect(AdminEntry(fleetValue: drained.fleetValue) == drained)

        func put(_ key: String, _ value: [UInt8], revision: Int64) -> EtcdKeyValue {
            EtcdKeyValue(key: key, value: value, modRevision: revision, createRevision: revision, lease: 0)
        }
        var mirror = FleetMirror(keys: keys)
        mirror.reset(
            EtcdRange(
                revision: 5,
                kvs: [
                    put(drainedKey, drained.fleetValue, revision: 3),
                    // Not an entry, or not the one its key names: ignored.
                    kv("/edgetm/admin/app/broken", "not json", revision: 4),
                    put("/edgetm/admin/app/other", forced.fleetValue, revision: 5),
                ]))
        #expect(mirror.admin == [drained])
        #expect(mirror.configRevision == 0 && mirror.documents == nil)

        let added = mirror.apply(
            EtcdWatchBatch(
                revision: 6,
                events: [
                    .put(
                        put(keys.admin(EndpointKey(profile: "app", endpoint: "region")), forced.fleetValue, revision: 6)
                    )
                ]))
        #expect(added.admin && !added.view && !added.config)
        #expect(mirror.admin == [drained, forced])
        let cleared = mirror.apply(EtcdWatchBatch(revision: 7, events: [.delete(key: drainedKey, modRevision: 7)]))
        #expect(cleared.admin && !cleared.view)
        #expect(mirror.admin == [forced])
        let verdictOnly = mirror.apply(
            EtcdWatchBatch(
                revision: 8, events: [.put(kv("/edgetm/health/ns2/app/mec", try verdict(.online), revision: 8))]))
        #expect(!verdictOnly.admin && verdictOnly.view)
    }

    @Test func leaseTTLFollowsTheLongestInterval() {
        #expect(FleetAgent.leaseTTL(longestInterval: 1) == 3)
        #expect(FleetAgent.leaseTTL(longestInterval: 10) == 20)
        #expect(FleetAgent.leaseTTL(longestInterval: 30) <= 150)
    }
}
