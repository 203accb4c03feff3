import Foundation

/// The JSON of etcd's v3 gateway (grpc-gateway over the gRPC API): keys and values are base64, 64-bit numbers are
/// JSON strings, and fields at their zero value (an empty value, revision 0, a PUT event's type) are left out.
enum EtcdGateway {
    /// A gateway error: `{"error": "...", "message": "...", "code": 3}` for a plain call, `{"error": {"grpc_code":
    /// 14, "message": "..."}}` inside a stream.
    struct Failure {
        /// The gRPC status code.
        let code: Int
        let message: String

        /// gRPC UNAVAILABLE ("etcdserver: no leader" and the like): another member may well answer.
        var isUnavailable: Bool { code == 14 }
        /// gRPC NOT_FOUND, which the lease calls (and a put with a lease) return for an expired lease.
        var isLeaseNotFound: Bool { code == 5 && message.contains("lease not found") }
    }

    static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }

    static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    /// The end of the range holding every key that starts with `prefix`: the prefix with its last byte raised by
    /// one, after dropping trailing 0xff bytes. "\0" (all keys from `key` on) when nothing is left to raise, as
    /// for the empty prefix.
    static func rangeEnd(prefix: String) -> [UInt8] {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return bytes
            }
            bytes.removeLast()
        }
        return [0]
    }

    /// The key and range_end fields that select `prefix`; the empty prefix needs key "\0" too, as etcdctl sends.
    static func prefixSelector(_ prefix: String) -> [String: Any] {
        let key = prefix.isEmpty ? base64([0]) : base64(prefix)
        return ["key": key, "range_end": base64(rangeEnd(prefix: prefix))]
    }

    static func encode(_ object: [String: Any]) -> [UInt8] {
        // Only strings, numbers, arrays and dictionaries are ever passed in, which always serialise.
        (try? JSONSerialization.data(withJSONObject: object)).map { Array($0) } ?? Array("{}".utf8)
    }

    /// The top-level object of a response, or nil when the bytes are not a JSON object.
    static func object(_ bytes: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }

    static func failure(in object: [String: Any]) -> Failure? {
        if let text = object["error"] as? String {
            let code = int64(object["code"])
            return Failure(code: Int(code), message: (object["message"] as? String) ?? text)
        }
        if let nested = object["error"] as? [String: Any] {
            let code = nested["grpc_code"] ?? nested["code"]
            return Failure(code: Int(int64(code)), message: (nested["message"] as? String) ?? "\(nested)")
        }
        return nil
    }

    /// A 64-bit field: a string in etcd's JSON, a number when written by hand, 0 when absent.
    static func int64(_ value: Any?) -> Int64 {
        if let text = value as? String { return Int64(text) ?? 0 }
        if let number = value as? NSNumber { return number.int64Value }
        return 0
    }

    static func flag(_ value: Any?) -> Bool {
        if let flag = value as? Bool { return flag }
        return (value as? NSNumber)?.boolValue ?? false
    }

    /// `header.revision` of a response.
    static func revision(_ object: [String: Any]) -> Int64 {
        int64((object["header"] as? [String: Any])?["revision"])
    }

    /// Bytes of a base64 field; an absent field is empty.
    static func bytes(_ value: Any?) -> [UInt8]? {
        guard let value else { return [] }
        guard let text = value as? String, let data = Data(base64Encoded: text) else { return nil }
        return Array(data)
    }

    static func keyValue(_ value: Any?) -> EtcdKeyValue? {
        guard let kv = value as? [String: Any], let key = bytes(kv["key"]), let data = bytes(kv["value"]) else {
            return nil
        }
        return EtcdKeyValue(
            key: String(decoding: key, as: UTF8.self), value: data, modRevision: int64(kv["mod_revision"]),
            createRevision: int64(kv["create_revision"]), lease: int64(kv["lease"]))
    }

    /// The `kvs` of a range response, nil if one does not parse.
    static func keyValues(_ object: [String: Any]) -> [EtcdKeyValue]? {
        guard let list = object["kvs"] else { return [] }
        guard let list = list as? [Any] else { return nil }
        var result: [EtcdKeyValue] = []
        result.reserveCapacity(list.count)
        for item in list {
            guard let kv = keyValue(item) else { return nil }
            result.append(kv)
        }
        return result
    }

    /// The `events` of a watch response, nil if one does not parse.
    static func events(_ result: [String: Any]) -> [EtcdEvent]? {
        guard let list = result["events"] else { return [] }
        guard let list = list as? [Any] else { return nil }
        var events: [EtcdEvent] = []
        events.reserveCapacity(list.count)
        for item in list {
            guard let event = item as? [String: Any], let kv = keyValue(event["kv"]) else { return nil }
            // PUT is type 0, which the gateway leaves out.
            if (event["type"] as? String) == "DELETE" {
                events.append(.delete(key: kv.key, modRevision: kv.modRevision))
            } else {
                events.append(.put(kv))
            }
        }
        return events
    }

    static func operation(_ operation: EtcdOperation) -> [String: Any] {
        switch operation {
        case .put(let key, let value, let lease):
            var put: [String: Any] = ["key": base64(key), "value": base64(value)]
            if let lease, lease != 0 { put["lease"] = String(lease) }
            return ["request_put": put]
        case .delete(let key):
            return ["request_delete_range": ["key": base64(key)]]
        case .deletePrefix(let prefix):
            return ["request_delete_range": prefixSelector(prefix)]
        }
    }
}
