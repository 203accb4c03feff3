import Foundation
import TMGeoIP
import TMRouting

/// Opens the geo database and reads the operator's subnet map (`{ "198.51.100.0/24": "DE" }`), reporting problems
/// against the file they are in.
enum GeoSourceLoader {
    /// `publishedSubnets`: for a server of a fleet, the revision's subnet map (nil data: the revision has none)
    /// and the name issues give it; it replaces `settings.subnets`.
    static func load(
        _ settings: GeoSettings, directory: String, publishedSubnets: (Data?, name: String)? = nil, log: IssueLog
    ) -> ClientLocator? {
        let errorsBefore = log.issues.count
        var database: MaxMindDatabase?
        if let path = settings.database {
            let resolved = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory + "/")).path
            do {
                database = try MaxMindDatabase(path: resolved)
            } catch {
                log.error(ConfigLoader.serverFile, "geo.database", "cannot open \"\(path)\": \(error.description)")
            }
        }
        var subnets: [(network: IPNetwork, code: String)] = []
        if let (data, name) = publishedSubnets {
            if let data {
                subnets = readSubnetMap(ConfigLoader.parse(data, file: name, log: log), file: name, log: log)
            }
        } else if let file = settings.subnets {
            subnets = readSubnetMap(
                ConfigLoader.readDocument(directory: directory, file: file, log: log), file: file, log: log)
        }
        let failed = log.issues.dropFirst(errorsBefore).contains { $0.severity == .error }
        return failed ? nil : ClientLocator(subnets: subnets, database: database)
    }

    private static func readSubnetMap(_ document: JSONValue?, file: String, log: IssueLog) -> [(IPNetwork, String)] {
        guard let document, let map = ObjectReader(document, file: file, path: "", log: log)
        else { return [] }
        var entries: [(IPNetwork, String)] = []
        var seen: [IPNetwork: String] = [:]
        for key in map.keys {
            let code = map.string(key)
            guard let network = IPNetwork(key) else {
                map.error(key, "\"\(key)\" is not a network such as \"198.51.100.0/24\" or \"2001:db8::/48\"")
                continue
            }
            guard let code, GeoHierarchy.isKnown(code) else {
                map.error(
                    key,
                    "\(code.map { "\"\($0)\"" } ?? "the value") is not a location code: WORLD, a GEO-xx "
                        + "grouping, an ISO 3166-1 country code or a state/province code such as US-TX")
                continue
            }
            if let other = seen[network] {
                map.error(key, "\(network) is already mapped (as \(other))")
                continue
            }
            seen[network] = code
            entries.append((network, code.uppercased()))
        }
        return entries
    }
}
