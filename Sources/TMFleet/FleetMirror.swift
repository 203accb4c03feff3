import Foundation
import TMConfig
import TMControl
import TMEtcd
import TMRouting

/// What the watcher knows of the keys under the fleet's prefix: the published configuration, every live vantage
/// point's verdicts and the fleet's admin state. A value type fed with a range and then watch batches, so that the rules are testable
/// without etcd.
struct FleetMirror {
    let keys: FleetKeys
    private(set) var profiles: [String: Data] = [:]
    private(set) var geoSubnets: Data?
    private(set) var hasConfig = false
    /// While `edgetm publish` writes a revision too large for one transaction, in several: servers keep what they
    /// serve until the marker says it is complete.
    private(set) var isPublishing = false
    /// The etcd revision at which the configuration keys last changed; 0 while nothing was published.
    private(set) var configRevision: Int64 = 0
    /// Verdicts by instance, whether or not the instance is live.
    private var verdicts: [String: [EndpointKey: MonitorStatus]] = [:]
    private(set) var liveInstances = Set<String>()
    private var adminEntries: [EndpointKey: AdminEntry] = [:]

    init(keys: FleetKeys) { self.keys = keys }

    /// The published documents; nil while nothing was published.
    /// nil also when every document was deleted: a fleet whose keys were removed by hand keeps serving what it
    /// has rather than no profiles at all.
    var documents: ConfigDocuments? {
        hasConfig && !(profiles.isEmpty && geoSubnets == nil)
            ? ConfigDocuments(profiles: profiles, geoSubnets: geoSubnets) : nil
    }

    /// The verdicts of the live instances only: a vantage point without a lease counts for nothing.
    var view: VantageView {
        VantageView(verdicts: verdicts, instances: liveInstances)
    }

    /// The fleet's admin state, in the order of its keys.
    var admin: [AdminEntry] { adminEntries.sorted { $0.key < $1.key }.map(\.value) }

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
        var admin = false
    }

    mutating func apply(_ batch: EtcdWatchBatch) -> Changes {
        var changes = Changes()
        for event in batch.events {
            let (key, revision) =
                switch event {
                case .put(let kv): (kv.key, kv.modRevision)
                case .delete(let key, let revision): (key, revision)
                }
            if keys.isConfigKey(key) {
                changes.config = true
                configRevision = max(configRevision, revision)
            } else if case .admin = keys.parse(key) {
                changes.admin = true
            } else {
                changes.view = true
            }
            switch event {
            case .put(let kv): put(kv)
            case .delete(let key, _): delete(key)
            }
        }
        if changes.config { hasConfig = true }
        return changes
    }

    private mutating func put(_ kv: EtcdKeyValue) {
        switch keys.parse(kv.key) {
        case .profile(let file): profiles[file] = Data(kv.value)
        case .geoSubnets: geoSubnets = Data(kv.value)
        case .published: isPublishing = PublishMarker.decode(kv.value)?.state == .publishing
        case .other: break
        case .instance(let name): liveInstances.insert(name)
        case .health(let instance, let endpoint):
            let record = try? JSONDecoder.fleet.decode(VantageVerdict.self, from: Data(kv.value))
            if let status = record?.status, status == .online || status == .degraded {
                verdicts[instance, default: [:]][endpoint] = status
            } else {
                verdicts[instance]?[endpoint] = nil
            }
        case .admin(let key):
            // An entry that does not say what its key says (or cannot be read) counts for nothing.
            let entry = AdminEntry(fleetValue: kv.value)
            adminEntries[key] =
                entry.map { EndpointKey(profile: $0.profile, endpoint: $0.endpoint) } == key ? entry : nil
        }
    }

    private mutating func delete(_ key: String) {
        switch keys.parse(key) {
        case .profile(let file): profiles[file] = nil
        case .geoSubnets: geoSubnets = nil
        case .published: isPublishing = false
        case .other: break
        case .instance(let name): liveInstances.remove(name)
        case .health(let instance, let endpoint): verdicts[instance]?[endpoint] = nil
        case .admin(let key): adminEntries[key] = nil
        }
    }
}

extension AdminEntry {
    /// Its value in etcd: JSON with RFC 3339 dates to the millisecond, so that every server expires it when the one
    /// that set it does (`.iso8601` alone drops the fraction).
    var fleetValue: [UInt8] {
        let encoder = JSONEncoder.fleet
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Self.dateFormat))
        }
        return Array((try? encoder.encode(self)) ?? Data())
    }

    init?(fleetValue: [UInt8]) {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = (try? Self.dateFormat.parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text)) else {
                throw DecodingError.dataCorrupted(
                    DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "not RFC 3339: \(text)"))
            }
            return date
        }
        guard let entry = try? decoder.decode(AdminEntry.self, from: Data(fleetValue)) else { return nil }
        self = entry
    }

    private static let dateFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
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
