import Foundation
import TMConfig
import TMEtcd
import TMRouting

/// What the watcher knows of the keys under the fleet's prefix: the published configuration and every live
/// vantage point's verdicts. A value type fed with a range and then watch batches, so that the rules are testable
/// without etcd.
struct FleetMirror {
    let keys: FleetKeys
    private(set) var profiles: [String: Data] = [:]
    private(set) var geoSubnets: Data?
    private(set) var hasConfig = false
    /// The etcd revision at which the configuration keys last changed; 0 while nothing was published.
    private(set) var configRevision: Int64 = 0
    /// Verdicts by instance, whether or not the instance is live.
    private var verdicts: [String: [EndpointKey: MonitorStatus]] = [:]
    private(set) var liveInstances = Set<String>()

    init(keys: FleetKeys) { self.keys = keys }

    /// The published documents; nil while nothing was published.
    var documents: ConfigDocuments? {
        hasConfig ? ConfigDocuments(profiles: profiles, geoSubnets: geoSubnets) : nil
    }

    /// The verdicts of the live instances only: a vantage point without a lease counts for nothing.
    var view: VantageView {
        VantageView(verdicts: verdicts, instances: liveInstances)
    }

    /// Everything from a range of the whole prefix.
    mutating func reset(_ range: EtcdRange) {
        self = FleetMirror(keys: keys)
        for kv in range.kvs { put(kv) }
        configRevision = range.kvs.filter { keys.isConfigKey($0.key) }.map(\.modRevision).max() ?? 0
        hasConfig = configRevision > 0
    }

    /// What a watch batch changed.
    struct Changes {
        var config = false
        var view = false
    }

    mutating func apply(_ batch: EtcdWatchBatch) -> Changes {
        var changes = Changes()
        for event in batch.events {
            switch event {
            case .put(let kv):
                if keys.isConfigKey(kv.key) {
                    changes.config = true
                    configRevision = max(configRevision, kv.modRevision)
                } else {
                    changes.view = true
                }
                put(kv)
            case .delete(let key, let revision):
                if keys.isConfigKey(key) {
                    changes.config = true
                    configRevision = max(configRevision, revision)
                } else {
                    changes.view = true
                }
                delete(key)
            }
        }
        if changes.config { hasConfig = true }
        return changes
    }

    private mutating func put(_ kv: EtcdKeyValue) {
        switch keys.parse(kv.key) {
        case .profile(let file): profiles[file] = Data(kv.value)
        case .geoSubnets: geoSubnets = Data(kv.value)
        case .published, .other: break
        case .instance(let name): liveInstances.insert(name)
        case .health(let instance, let endpoint):
            let record = try? JSONDecoder.fleet.decode(VantageVerdict.self, from: Data(kv.value))
            if let status = record?.status, status == .online || status == .degraded {
                verdicts[instance, default: [:]][endpoint] = status
            } else {
                verdicts[instance]?[endpoint] = nil
            }
        }
    }

    private mutating func delete(_ key: String) {
        switch keys.parse(key) {
        case .profile(let file): profiles[file] = nil
        case .geoSubnets: geoSubnets = nil
        case .published, .other: break
        case .instance(let name): liveInstances.remove(name)
        case .health(let instance, let endpoint): verdicts[instance]?[endpoint] = nil
        }
    }
}

extension JSONDecoder {
    static var fleet: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

extension JSONEncoder {
    static var fleet: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
