import ArgumentParser
import Foundation
import TMConfig
import TMEtcd
import TMFleet
import TMSystem

/// `edgetm publish --config DIR [--dry-run]`: DIR's profiles and subnet map become the fleet's newest revision.
struct Publish: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the profiles and the geo subnet map of DIR to the fleet's etcd as a new revision.",
        discussion: """
            DIR is validated exactly as edgetm check does; on any error nothing is written and the exit status is \
            1. Otherwise every change is written in one etcd transaction and its revision printed as \
            revision=N profiles=P added=A changed=C removed=R. The etcd URLs and the key prefix come from DIR's \
            fleet section; the server section of edgetm.json is never published.
            """)

    @Option(name: .long, help: "The configuration directory (holding edgetm.json with a fleet section).")
    var config: String

    @Flag(name: .long, help: "List the profiles that would be added, changed and removed; write nothing.")
    var dryRun = false

    /// A marker saying `publishing` older than this is from a publish that died: the next one takes over.
    static let takeOverAfter = 60.0

    func run() throws {
        // The bytes read here are the ones validated and the ones written; validated as `check` validates the
        // files, with its names for them. A file that cannot be read is reported by the loader from the files.
        let source = DocumentSource.files(in: config)
        let result = ConfigLoader.load(directory: config, source: source)
        for issue in result.issues { FileHandle.standardError.write(Data("\(issue)\n".utf8)) }
        guard let configuration = result.configuration else { throw ExitCode(1) }
        guard let documents = source?.documents else {
            throw CommandFailure("\(config): the files changed while being read; nothing written")
        }
        guard let fleet = configuration.fleet else {
            throw CommandFailure(
                "\(ConfigLoader.serverFile): fleet: publishing needs a fleet section naming the etcd cluster")
        }
        let client = EtcdClient(
            endpoints: fleet.etcd, tls: FleetAgent.tls(fleet), connectTimeout: 1, requestTimeout: 60)
        let keys = FleetKeys(prefix: fleet.prefix)
        let published: PublishedDocuments
        do {
            published = PublishedDocuments(try client.range(prefix: keys.config), keys: keys)
        } catch {
            throw CommandFailure("cannot read the fleet's configuration from etcd: \(error)")
        }
        // Two publishes in several transactions each would mix their batches; one that died half way (its marker
        // left saying `publishing`) is taken over after a while.
        if let underWay = published.underWay, Date().timeIntervalSince(underWay.time) < Self.takeOverAfter {
            throw CommandFailure(
                "a publish from \(underWay.host) has been under way since "
                    + "\(ISO8601DateFormatter().string(from: underWay.time)); try again in a minute")
        }
        let plan = PublishPlan(from: published.documents, to: documents)
        if dryRun {
            let changed = plan.added + plan.changed + plan.removed
            for line in plan.lines(
                oldNames: published.documents.profileNames(of: changed),
                newNames: documents.profileNames(of: changed))
            {
                print(line)
            }
            print("dry-run added=\(plan.added.count) changed=\(plan.changed.count) removed=\(plan.removed.count)")
            return
        }
        let host = HostName.current() ?? ""
        let count = documents.profiles.count
        let operations = plan.operations(keys: keys, documents: documents)
        let done = EtcdOperation.put(
            key: keys.published,
            value: PublishMarker(state: .published, host: host, profiles: count).encoded, lease: nil)
        let batches = PublishPlan.batches(operations)
        do {
            let revision: Int64
            if batches.count <= 1 {
                revision = try client.txn((batches.first ?? []) + [done])
            } else {
                // Too much for one transaction (etcd 3.4 cannot even read back a log entry above 10 MiB): the
                // servers are told to wait, the files go in batches, and the last marker makes them one revision.
                _ = try client.txn([
                    .put(
                        key: keys.published,
                        value: PublishMarker(state: .publishing, host: host, profiles: count).encoded, lease: nil)
                ])
                for batch in batches { _ = try client.txn(batch) }
                revision = try client.txn([done])
            }
            print(
                "revision=\(revision) profiles=\(count) added=\(plan.added.count) "
                    + "changed=\(plan.changed.count) removed=\(plan.removed.count)"
                    + (batches.count > 1 ? " transactions=\(batches.count + 2)" : ""))
        } catch {
            var hint = batches.count > 1 ? "; the servers keep serving the revision before, publish again" : ""
            if error.message.contains("too large") {
                hint +=
                    "; etcd takes requests of at most --max-request-bytes (default 1.5 MiB): a profile file that"
                    + " large needs it raised"
            }
            throw CommandFailure("etcd refused the revision: \(error)\(hint)")
        }
    }
}

/// The documents of the revision etcd holds now.
struct PublishedDocuments {
    var documents = ConfigDocuments(profiles: [:])
    /// The marker, when it says a publish is under way.
    var underWay: PublishMarker?

    init(_ range: EtcdRange, keys: FleetKeys) {
        for kv in range.kvs {
            switch keys.parse(kv.key) {
            case .profile(let file): documents.profiles[file] = Data(kv.value)
            case .geoSubnets: documents.geoSubnets = Data(kv.value)
            case .published:
                if let marker = PublishMarker.decode(kv.value), marker.state == .publishing { underWay = marker }
            default: continue
            }
        }
    }
}

/// What a publish changes, by file: only the files that differ are written (every server reads the whole
/// revision either way).
struct PublishPlan {
    var added: [String] = []
    var changed: [String] = []
    var removed: [String] = []
    var geoSubnetsChanged: Bool

    init(from old: ConfigDocuments, to new: ConfigDocuments) {
        for (file, data) in new.profiles.sorted(by: { $0.key < $1.key }) {
            if let before = old.profiles[file] {
                if before != data { changed.append(file) }
            } else {
                added.append(file)
            }
        }
        removed = old.profiles.keys.filter { new.profiles[$0] == nil }.sorted()
        geoSubnetsChanged = old.geoSubnets != new.geoSubnets
    }

    /// `add NAME`, `change NAME`, `remove NAME`: by profile name where the file has one, else by file.
    func lines(oldNames: [String: String], newNames: [String: String]) -> [String] {
        added.map { "add \(newNames[$0] ?? $0)" } + changed.map { "change \(newNames[$0] ?? $0)" }
            + removed.map { "remove \(oldNames[$0] ?? $0)" }
    }

    /// What one transaction may hold, well inside etcd's defaults (128 operations, 1.5 MiB requests, values in
    /// base64), with room for the marker.
    static let operationsPerTransaction = 100
    static let bytesPerTransaction = 768 << 10

    /// `operations` cut into transactions within those bounds; a single operation larger than the byte bound goes
    /// alone.
    static func batches(_ operations: [EtcdOperation]) -> [[EtcdOperation]] {
        var batches: [[EtcdOperation]] = []
        var current: [EtcdOperation] = []
        var bytes = 0
        for operation in operations {
            let size = operation.payloadBytes
            if !current.isEmpty, current.count == operationsPerTransaction || bytes + size > bytesPerTransaction {
                batches.append(current)
                current = []
                bytes = 0
            }
            current.append(operation)
            bytes += size
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    func operations(keys: FleetKeys, documents: ConfigDocuments) -> [EtcdOperation] {
        var operations: [EtcdOperation] = (added + changed).map {
            .put(key: keys.profile(file: $0), value: Array(documents.profiles[$0] ?? Data()), lease: nil)
        }
        operations += removed.map { .delete(keys.profile(file: $0)) }
        if geoSubnetsChanged {
            operations.append(
                documents.geoSubnets.map { .put(key: keys.geoSubnets, value: Array($0), lease: nil) }
                    ?? .delete(keys.geoSubnets))
        }
        return operations
    }
}

extension EtcdOperation {
    /// The bytes of key and value it sends.
    var payloadBytes: Int {
        switch self {
        case .put(let key, let value, _): key.utf8.count + value.count
        case .delete(let key), .deletePrefix(let key): key.utf8.count
        }
    }
}
