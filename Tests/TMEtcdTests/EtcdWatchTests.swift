import Foundation
import TMEtcd
import TMTestSupport
import Testing

@Suite struct EtcdWatchTests {
    @Test func seesPutsAndDeletesInOrderAndReplaysFromThePast() throws {
        let server = try EtcdServer()
        let client = EtcdClient(endpoints: [server.url])
        let first = try client.txn([.put(key: "w/a", value: [1])])
        let second = try client.txn([.put(key: "w/b", value: [2]), .put(key: "other", value: [])])
        let third = try client.txn([.delete("w/a")])

        let watch = WatchRecorder(client, prefix: "w/", from: first)
        #expect(eventually(within: 3) { watch.events.count == 3 })
        let fourth = try client.txn([.put(key: "w/c", value: [3])])
        #expect(eventually(within: 3) { watch.events.count == 4 })
        watch.cancellation.cancel()
        #expect(eventually(within: 1) { watch.error != nil })

        let events = watch.events
        guard events.count == 4 else { return }
        guard case .put(let a) = events[0], case .put(let b) = events[1], case .put(let c) = events[3] else {
            Issue.record("unexpected events \(events)")
            return
        }
        #expect(a.key == "w/a" && a.value == [1] && a.modRevision == first)
        #expect(b.key == "w/b" && b.modRevision == second)
        #expect(events[2] == .delete(key: "w/a", modRevision: third))
        #expect(c.key == "w/c" && c.modRevision == fourth && c.createRevision == fourth)
        #expect(watch.batches.last?.revision == fourth)
        #expect(watch.error?.kind == .cancelled)
    }

    @Test func aBatchLargerThanOneWriteIsReassembled() throws {
        let server = try EtcdServer()
        let client = EtcdClient(endpoints: [server.url])
        let start = try client.range(prefix: "").revision + 1
        let watch = WatchRecorder(client, prefix: "big/", from: start)
        let value = (0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let revision = try client.txn((0..<100).map { .put(key: "big/\($0)", value: value) })
        #expect(eventually(within: 5) { watch.events.count == 100 })
        watch.cancellation.cancel()
        let batches = watch.batches
        #expect(batches.count == 1 && batches.first?.revision == revision)
        #expect(watch.events.allSatisfy { if case .put(let kv) = $0 { kv.value == value } else { false } })
    }

    @Test func cancellationEndsABlockedWatchPromptly() throws {
        let server = try EtcdServer()
        let client = EtcdClient(endpoints: [server.url])
        let revision = try client.range(prefix: "").revision
        let watch = WatchRecorder(client, prefix: "idle/", from: revision + 1)
        // Long enough for the watch to be established and idle.
        usleep(600_000)
        #expect(watch.error == nil)
        let cancelled = Date().timeIntervalSince1970
        watch.cancellation.cancel()
        #expect(eventually(within: 2) { watch.endedAt != nil })
        #expect(watch.error?.kind == .cancelled)
        #expect((watch.endedAt ?? .infinity) - cancelled < 0.5)
    }

    @Test func throwsWhenEtcdDies() throws {
        let server = try EtcdServer()
        let client = EtcdClient(endpoints: [server.url])
        let revision = try client.range(prefix: "").revision
        let watch = WatchRecorder(client, prefix: "", from: revision + 1)
        _ = try client.txn([.put(key: "x", value: [1])])
        #expect(eventually(within: 3) { watch.events.count == 1 })
        let killed = Date().timeIntervalSince1970
        server.kill9()
        #expect(eventually(within: 3) { watch.endedAt != nil })
        #expect(watch.error?.kind == .unreachable)
        #expect((watch.endedAt ?? .infinity) - killed < 1)
    }

    @Test func compactedStartRevisionIsReported() throws {
        let server = try EtcdServer()
        let client = EtcdClient(endpoints: [server.url])
        let first = try client.txn([.put(key: "c/a", value: [1])])
        let second = try client.txn([.put(key: "c/a", value: [2])])
        try server.compact(second)
        let watch = WatchRecorder(client, prefix: "c/", from: first)
        #expect(eventually(within: 3) { watch.error != nil })
        #expect(watch.error?.kind == .compacted(second))
        #expect(watch.events.isEmpty)
    }

    @Test func noEndpointMakesTheWatchUnreachable() throws {
        let client = EtcdClient(endpoints: ["http://127.0.0.1:\(try freePort())"])
        let watch = WatchRecorder(client, prefix: "", from: 1)
        #expect(eventually(within: 2) { watch.error != nil })
        #expect(watch.error?.kind == .unreachable)
    }

    @Test func aHungMemberIsSkippedForTheNext() throws {
        let server = try EtcdServer()
        let hung = try SilentListener()
        let client = EtcdClient(endpoints: [hung.url, server.url], requestTimeout: 0.5)
        let watch = WatchRecorder(client, prefix: "h/", from: 1)
        _ = try client.txn([.put(key: "h/1", value: [1])])
        #expect(eventually(within: 3) { watch.events.count == 1 })
        // Read from a client of its own: the puts above would set it too.
        #expect(watchOnly(hung.url, server.url))
        watch.cancellation.cancel()
        #expect(eventually(within: 1) { watch.error?.kind == .cancelled })
    }

    /// Whether a watch alone, with no other call on its client, makes `currentEndpoint` the live member.
    private func watchOnly(_ hung: String, _ live: String) -> Bool {
        let client = EtcdClient(endpoints: [hung, live], requestTimeout: 0.5)
        let watch = WatchRecorder(client, prefix: "h/", from: 1)
        defer { watch.cancellation.cancel() }
        return eventually(within: 3) { !watch.events.isEmpty && client.currentEndpoint == live }
    }
}
