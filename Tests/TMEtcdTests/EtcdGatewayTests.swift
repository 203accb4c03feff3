import Testing

@testable import TMEtcd

@Suite struct EtcdGatewayTests {
    @Test(
        arguments: [
            ("a/", Array("a0".utf8)),
            ("", [0]),
            // "é" is C3 A9: the last byte is raised, whatever character that makes.
            ("é", [0xc3, 0xaa]),
        ] as [(String, [UInt8])])
    func rangeEndCoversThePrefix(prefix: String, end: [UInt8]) {
        #expect(EtcdGateway.rangeEnd(prefix: prefix) == end)
    }

    @Test func errorsAreClassified() throws {
        let plain = try #require(
            EtcdGateway.object(
                Array(#"{"error":"etcdserver: no leader","message":"etcdserver: no leader","code":14}"#.utf8)))
        #expect(EtcdGateway.failure(in: plain)?.isUnavailable == true)
        let streamed = try #require(
            EtcdGateway.object(Array(#"{"error":{"grpc_code":14,"http_code":503,"message":"no leader"}}"#.utf8)))
        #expect(EtcdGateway.failure(in: streamed)?.isUnavailable == true)
        let lease = try #require(
            EtcdGateway.object(Array(#"{"error":"etcdserver: requested lease not found","code":5}"#.utf8)))
        #expect(EtcdGateway.failure(in: lease)?.isLeaseNotFound == true)
        let ok = try #require(EtcdGateway.object(Array(#"{"header":{"revision":"7"}}"#.utf8)))
        #expect(EtcdGateway.failure(in: ok) == nil)
        #expect(EtcdGateway.revision(ok) == 7)
    }

    @Test func absentFieldsAreZero() throws {
        let reply = try #require(EtcdGateway.object(Array(#"{"kvs":[{"key":"YQ==","mod_revision":"3"}]}"#.utf8)))
        #expect(
            EtcdGateway.keyValues(reply) == [
                EtcdKeyValue(key: "a", value: [], modRevision: 3, createRevision: 0, lease: 0)
            ])
        #expect(EtcdGateway.keyValues(["kvs": [["key": "not base64!"]]]) == nil)
    }
}
