import Foundation
import TMRouting
import TMSystem

/// Loads a configuration directory: `edgetm.json` and every `*.json` in its profiles directory, or, for a server
/// of a fleet, `edgetm.json` and the profiles and subnet map of a revision published to etcd. Everything is read
/// and checked before anything is returned, and every problem is reported.
public enum ConfigLoader {
    public static let serverFile = "edgetm.json"

    /// `source`: where the profiles and the subnet map come from instead of the directory's files.
    public static func load(directory: String, source: DocumentSource? = nil) -> LoadResult {
        let log = IssueLog()
        let settings = readDocument(directory: directory, file: serverFile, log: log).flatMap {
            ServerConfigReader.read($0, file: serverFile, log: log)
        }
        let profilesDirectory = settings?.profilesDirectory ?? "profiles"
        let files =
            source.map { source in source.documents.profiles.keys.sorted().map { source.origin + $0 } }
            ?? profileFiles(directory: directory, profilesDirectory: profilesDirectory, log: log)
        // Each file is read and checked with its own log; the logs are joined in file order.
        let read = files.concurrentMap { file in
            let fileLog = IssueLog()
            let document =
                source.map { source in
                    parse(
                        source.documents.profiles[String(file.dropFirst(source.origin.count))], file: file, log: fileLog
                    )
                } ?? readDocument(directory: directory, file: file, log: fileLog)
            let draft = document.flatMap { ProfileReader.read($0, file: file, log: fileLog) }
            return (draft, fileLog.issues)
        }
        for (_, issues) in read { log.append(issues) }
        let drafts = read.compactMap(\.0)
        checkUniqueness(drafts, zone: settings?.zone, log: log)
        NestingRules.check(drafts, log: log)
        let locator = settings.flatMap { settings in
            GeoSourceLoader.load(
                settings.geo, directory: directory,
                publishedSubnets: source.map {
                    ($0.documents.geoSubnets, $0.geoSubnetsName ?? $0.origin + "geo-subnets")
                },
                log: log)
        }
        let cookies = settings?.cookieSecretFile.flatMap { readCookies($0, directory: directory, log: log) }
        let fleet = settings?.fleet.flatMap { FleetReader.resolveFiles($0, directory: directory, log: log) }
        guard let settings, let locator, !log.hasErrors else {
            return LoadResult(configuration: nil, issues: log.issues)
        }
        let configuration = Configuration(
            directory: directory, listen: settings.listen, zone: settings.zone,
            profiles: number(drafts, zone: settings.zone),
            statusAllow: settings.statusAllow, stateFile: settings.stateFile,
            stateMaxAgeSeconds: settings.stateMaxAgeSeconds, locator: locator, http: settings.http,
            rateLimit: settings.rateLimit, cookies: cookies, fleet: fleet,
            probeSourceAddresses: settings.probeSourceAddresses)
        return LoadResult(configuration: configuration, issues: log.issues)
    }

    /// The secret is read with the configuration, so that a reload picks up a rotated one and `check` reports a
    /// bad one; a missing file is not an error (the daemon creates it).
    private static func readCookies(_ file: String, directory: String, log: IssueLog) -> CookieSettings? {
        let path = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: directory + "/")).path
        do {
            return CookieSettings(secretFile: path, secret: try CookieSecretFile.read(atPath: path))
        } catch {
            log.error(file, "", error.description)
            return nil
        }
    }

    /// No JSON file of a configuration may be larger: the size is checked before anything is read, so a runaway
    /// or planted file costs nothing (a 50 MB profile took 6 s and 460 MB to load).
    public static let maxFileSize = 16 << 20

    static func readDocument(directory: String, file: String, log: IssueLog) -> JSONValue? {
        let url = URL(fileURLWithPath: directory).appendingPathComponent(file)
        let data: Data
        do {
            data = try BoundedFile.read(atPath: url.path, limit: maxFileSize)
        } catch {
            log.error(file, "", "cannot be read: \(error)")
            return nil
        }
        return parse(data, file: file, log: log)
    }

    /// A document held in memory (from etcd), under the same limits as a file.
    static func parse(_ data: Data?, file: String, log: IssueLog) -> JSONValue? {
        guard let data else {
            log.error(file, "", "is missing")
            return nil
        }
        guard data.count <= maxFileSize else {
            log.error(file, "", "is larger than \(maxFileSize) bytes")
            return nil
        }
        do {
            return try JSONValue.parse(data)
        } catch {
            log.error(file, "", "is not valid JSON: \(error.message)")
            return nil
        }
    }

    /// `profiles/*.json`, sorted, as paths relative to the configuration directory.
    static func profileFiles(directory: String, profilesDirectory: String, log: IssueLog) -> [String] {
        let url = URL(fileURLWithPath: profilesDirectory, relativeTo: URL(fileURLWithPath: directory + "/"))
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else {
            log.error(serverFile, "profiles", "directory \"\(profilesDirectory)\" cannot be read")
            return []
        }
        let prefix = profilesDirectory.hasSuffix("/") ? profilesDirectory : profilesDirectory + "/"
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().map { prefix + $0 }
    }

    /// Names that must be unique across files; the later occurrence is the one reported.
    private static func checkUniqueness(_ drafts: [ProfileDraft], zone: ZoneConfig?, log: IssueLog) {
        var names: [String: String] = [:]
        var relativeNames: [String: String] = [:]
        let addressNames = Set(zone?.addresses.map(\.name) ?? [])
        for draft in drafts {
            if let first = names[draft.name.lowercased()] {
                log.error(draft.file, draft.namePath, "profile name \"\(draft.name)\" is already used in \(first)")
            } else {
                names[draft.name.lowercased()] = draft.file
            }
            if let first = relativeNames[draft.relativeName.lowercased()] {
                log.error(
                    draft.file, draft.relativeNamePath,
                    "\"\(draft.relativeName)\" is already the relativeName of the profile in \(first)")
            } else {
                relativeNames[draft.relativeName.lowercased()] = draft.file
            }
            if let apex = zone?.apex, addressNames.contains(apex.prepending(draft.relativeName)) {
                log.error(
                    draft.file, draft.relativeNamePath,
                    "\(apex.prepending(draft.relativeName)) already has "
                        + "addresses in \(serverFile) zone.addresses")
            }
        }
    }

    /// Endpoint ids run across profiles in file and list order, so health can be one flat array.
    private static func number(_ drafts: [ProfileDraft], zone: ZoneConfig) -> [Profile] {
        var nextID = 0
        let fqdns = Dictionary(
            drafts.map { ($0.name.lowercased(), zone.apex.prepending($0.relativeName)) },
            uniquingKeysWith: { first, _ in first })
        return drafts.map { draft in
            let endpoints = draft.endpoints.map { endpoint in
                defer { nextID += 1 }
                // A nested endpoint shows its child's name where others show their target.
                let target =
                    endpoint.nested.flatMap { fqdns[$0.profile.lowercased()] }.map(EndpointTarget.name)
                    ?? endpoint.target
                return Endpoint(
                    id: nextID, name: endpoint.name, target: target,
                    isEnabled: endpoint.isEnabled, priority: endpoint.priority,
                    alwaysServe: endpoint.alwaysServe, customHeaders: endpoint.customHeaders,
                    weight: endpoint.weight, geoMapping: endpoint.geoMapping, subnets: endpoint.subnets,
                    nested: endpoint.nested)
            }
            return Profile(
                name: draft.name, fqdn: zone.apex.prepending(draft.relativeName),
                isEnabled: draft.isEnabled, method: draft.method, ttl: draft.ttl,
                adaptiveTTL: draft.adaptiveTTL, monitor: draft.monitor, endpoints: endpoints, maxReturn: draft.maxReturn
            )
        }
    }
}
