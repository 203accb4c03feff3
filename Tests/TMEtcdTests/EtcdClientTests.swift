import Foundation
import Synchronization
import TMEtcd
import TMTestSupport
import Testing

@Suite struct EtcdClientTests {
    @Test func putRangeAndGetRoundTrip() throws {
        let server = try EtcdServer()
        let client = EtcdClient(endpoints: [server.url])
        let binary: [UInt8] = [0, 1, 0xff, 0x80, 10, 13, 0x22]
        let first = try client.txn([
            .put(key: "zones/é🌍/a", value: binary), .put(key: "zones/é🌍/b", value: []),
            .put(key: "zonesX", value: [1]),
        ])
        let second = try client.txn([.put(key: "zones/é🌍/a", value: [7])])
        #expect(second == first + 1)

        let range = try client.range(prefix: "zones/")
        #expect(range.revision == second)
        #expect(range.kvs.map(\.key) == ["zones/é🌍/a", "zones/é🌍/b"])
        #expect(range.kvs.map(\.value) == [[7], []])
        #expect(range.kvs[0].createRevision == first && range.kvs[0].modRevision == second)
        #expect(range.kvs[0].lease == 0)

        let old = try client.range(prefix: "zones/", revision: first)
        #expect(old.kvs.first?.value == binary)
        #expect(try client.get("zones/é🌍/a")?.value == [7])
        #expect(try client.get("zones/missing") == nil)
        #expect(try client.range(prefix: "").kvs.count == 3)
        #expect(client.currentEndpoint == server.url)
    }

    @Test func txnIsOneRevision() throws {
        let server = try EtcdServer()
        let client = EtcdClient(endpoints: [server.url])
        _ = try client.txn([
            .put(key: "old/1", value: [1]), .put(key: "old/2", value: [2]), .put(key: "keep", value: []),
        ])
        let revision = try client.txn([
            .deletePrefix("old/"), .put(key: "new/1", value: [1]), .put(key: "new/2", value: [2]), .delete("keep"),
        ])
        let all = try client.range(prefix: "")
        #expect(all.revision == revision)
        #expect(all.kvs.map(\.key) == ["new/1", "new/2"])
        #expect(all.kvs.allSatisfy { $0.modRevision == revision })
    }

    @Test func tooManyOperationsAreRefusedAndNothingIsWritten() throws {
        let server = try EtcdServer()
        let client = EtcdClient(endpoints: [server.url])
        let puts = (0..<200).map { EtcdOperation.put(key: "many/\($0)", value: [1]) }
        let error = #expect(throws: EtcdError.self) { try client.txn(puts) }
        #expect(error?.kind == .refused)
        #expect(error?.message.contains("too many operations in txn request") == true)
        #expect(try client.range(prefix: "many/").kvs.isEmpty)
    }

    @Test func leasedKeysExpireAndRevokeDeletesAtOnce() throws {
        let server = try EtcdServer()
        let client = EtcdClient(endpoints: [server.url])
        let lease = try client.leaseGrant(ttl: 2)
        #expect(lease.ttl == 2)
        _ = try client.txn([.put(key: "leased/a", value: [1], lease: lease.id)])
        #expect(try client.get("leased/a")?.lease == lease.id)
        #expect(try client.leaseKeepAlive(lease.id) == 2)
        #expect(eventually(within: 4.5) { (try? client.get("leased/a")) == .some(nil) })
        let expired = #expect(throws: EtcdError.self) { try client.leaseKeepAlive(lease.id) }
        #expect(expired?.kind == .leaseNotFound)

        let other = try client.leaseGrant(ttl: 60)
        _ = try client.txn([.put(key: "leased/b", value: [1], lease: other.id)])
        try client.leaseRevoke(other.id)
        #expect(try client.get("leased/b") == nil)
        let revoked = #expect(throws: EtcdError.self) { try client.leaseRevoke(other.id) }
        #expect(revoked?.kind == .leaseNotFound)
    }

    @Test func failsOverToALiveEndpoint() throws {
        let server = try EtcdServer()
        let dead = "http://127.0.0.1:\(try freePort())"
        let client = EtcdClient(endpoints: [dead, server.url])
        #expect(client.currentEndpoint == dead)
        _ = try client.txn([.put(key: "k", value: [1])])
        #expect(client.currentEndpoint == server.url)
        #expect(try client.get("k")?.value == [1])
    }

    @Test func allEndpointsDeadIsUnreachableQuickly() throws {
        let urls = try (0..<3).map { _ in "http://127.0.0.1:\(try freePort())" }
        let client = EtcdClient(endpoints: urls)
        let start = Date()
        let error = #expect(throws: EtcdError.self) { try client.range(prefix: "") }
        #expect(Date().timeIntervalSince(start) < 2)
        #expect(error?.kind == .unreachable)
        for url in urls { #expect(error?.message.contains("\(url): couldn't connect (Connection refused)") == true) }
    }

    @Test func aHungMemberTimesOutAndTheNextAnswers() throws {
        let server = try EtcdServer()
        let hung = try SilentListener()
        let client = EtcdClient(endpoints: [hung.url, server.url], requestTimeout: 0.5)
        let start = Date()
        #expect(try client.get("k") == nil)
        #expect(Date().timeIntervalSince(start) < 1.5)
        #expect(client.currentEndpoint == server.url)

        let alone = EtcdClient(endpoints: [hung.url], requestTimeout: 0.3)
        let error = #expect(throws: EtcdError.self) { try alone.get("k") }
        #expect(error?.kind == .unreachable)
        #expect(error?.message.contains("\(hung.url): timed out") == true)
    }

    @Test func httpsWithClientCertificates() throws {
        let server = try EtcdServer(tls: true)
        let client = EtcdClient(endpoints: [server.url], tls: server.tls)
        _ = try client.txn([.put(key: "tls", value: [1])])
        #expect(try client.get("tls")?.value == [1])

        let watch = WatchRecorder(client, prefix: "tls", from: 1)
        #expect(eventually(within: 3) { watch.events.count == 1 })
        watch.cancellation.cancel()

        let anonymous = EtcdClient(endpoints: [server.url], tls: EtcdTLS(caFile: server.tls?.caFile))
        let refused = #expect(throws: EtcdError.self) { try anonymous.get("tls") }
        #expect(refused?.kind == .unreachable)
        let untrusting = EtcdClient(endpoints: [server.url], tls: EtcdTLS())
        #expect(throws: EtcdError.self) { try untrusting.get("tls") }
    }

    @Test func oneClientServesManyThreads() throws {
        let server = try EtcdServer()
        let client = EtcdClient(endpoints: [server.url])
        let failures = Mutex(0)
        let done = Mutex(0)
        for thread in 0..<8 {
            Thread {
                for index in 0..<20 {
                    do throws(EtcdError) {
                        _ = try client.txn([.put(key: "t/\(thread)/\(index)", value: [UInt8(index)])])
                        _ = try client.get("t/\(thread)/\(index)")
                    } catch {
                        failures.withLock { $0 += 1 }
                    }
                }
                done.withLock { $0 += 1 }
            }.start()
        }
        #expect(eventually(within: 10) { done.withLock { $0 } == 8 })
        #expect(failures.withLock { $0 } == 0)
        #expect(try client.range(prefix: "t/").kvs.count == 160)
    }
}
