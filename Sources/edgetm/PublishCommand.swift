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

    func run() throws {
        let result = ConfigLoader.load(directory: config)
        for issue in result.issues { FileHandle.standardError.write(Data("\(issue)\n".utf8)) }
        guard let configuration = result.configuration else { throw ExitCode(1) }
        guard let fleet = configuration.fleet else {
            throw Reload.Failure(
                "\(ConfigLoader.serverFile): fleet: publishing needs a fleet section naming the etcd cluster")
        }
        // What is written is what was validated: read once more as bytes, then checked as the servers will.
        guard let documents = ConfigDocuments.read(directory: config) else {
            throw Reload.Failure("\(config): the files changed while being read; nothing written")
        }
        let recheck = ConfigLoader.load(directory: config, source: DocumentSource(documents, origin: ""))
        guard recheck.configuration != nil else {
            for issue in recheck.errors { FileHandle.standardError.write(Data("\(issue)\n".utf8)) }
            throw Reload.Failure("\(config): the files changed while being read; nothing written")
        }
        let client = EtcdClient(
            endpoints: fleet.etcd, tls: FleetAgent.tls(fleet), connectTimeout: 1, requestTimeout: 10)
        let keys = FleetKeys(prefix: fleet.prefix)
        let published: PublishedDocuments
        do {
            published = PublishedDocuments(try client.range(prefix: keys.config), keys: keys)
        } catch {
            throw Reload.Failure("cannot read the fleet's configuration from etcd: \(error)")
        }
        let plan = PublishPlan(from: published.documents, to: documents)
        if dryRun {
            for line in plan.lines(oldNames: published.documents.profileNames, newNames: documents.profileNames) {
                print(line)
            }
            print("dry-run added=\(plan.added.count) changed=\(plan.changed.count) removed=\(plan.removed.count)")
            return
        }
        let marker: [String: String] = [
            "time": ISO8601DateFormatter().string(from: Date()), "host": HostName.current() ?? "",
            "profiles": "\(documents.profiles.count)",
        ]
        var operations = plan.operations(keys: keys, documents: documents)
        operations.append(
            .put(key: keys.published, value: Array((try? JSONEncoder().encode(marker)) ?? Data()), lease: nil))
        do {
            let revision = try client.txn(operations)
            print(
                "revision=\(revision) profiles=\(documents.profiles.count) added=\(plan.added.count) "
                    + "changed=\(plan.changed.count) removed=\(plan.removed.count)")
        } catch {
            var hint = ""
            if error.message.contains("too many operations") {
                hint = "; etcd takes at most --max-txn-ops operations (default 128) in one transaction: raise it"
            } else if error.message.contains("too large") {
                hint = "; etcd takes requests of at most --max-request-bytes (default 1.5 MiB): raise it"
            }
            throw Reload.Failure("etcd refused the revision, nothing written: \(error)\(hint)")
        }
    }
}

/// The documents of the revision etcd holds now.
struct PublishedDocuments {
    var documents = ConfigDocuments(profiles: [:])

    init(_ range: EtcdRange, keys: FleetKeys) {
        for kv in range.kvs {
            switch keys.parse(kv.key) {
            case .profile(let file): documents.profiles[file] = Data(kv.value)
            case .geoSubnets: documents.geoSubnets = Data(kv.value)
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
