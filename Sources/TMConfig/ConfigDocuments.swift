import Foundation
import TMSystem

/// The part of a configuration a fleet shares: the profile files and the geo subnet map, as bytes, exactly as
/// `edgetm publish` read them and etcd holds them. Everything in `edgetm.json` stays local to each server.
public struct ConfigDocuments: Sendable, Codable, Equatable {
    /// File name (within the profiles directory, such as `app.json`) → contents.
    public var profiles: [String: Data]
    /// The subnet map (`geo.subnets`); nil when there is none.
    public var geoSubnets: Data?

    public init(profiles: [String: Data], geoSubnets: Data? = nil) {
        self.profiles = profiles
        self.geoSubnets = geoSubnets
    }

    /// The documents of a configuration directory, read the way the loader reads them (the same files, the same
    /// size limit) and named as it names them, so that validating them reports what `edgetm check` reports, in
    /// its words; nil when `edgetm.json` or a file cannot be read (the loader then reports why).
    static func source(directory: String) -> DocumentSource? {
        let log = IssueLog()
        guard
            let settings = ConfigLoader.readDocument(directory: directory, file: ConfigLoader.serverFile, log: log)
                .flatMap({ ServerConfigReader.read($0, file: ConfigLoader.serverFile, log: log) })
        else { return nil }
        var profiles: [String: Data] = [:]
        let profilesDirectory = settings.profilesDirectory
        for file in ConfigLoader.profileFiles(
            directory: directory, profilesDirectory: settings.profilesDirectory, log: log)
        {
            guard let data = readBytes(directory: directory, file: file) else { return nil }
            profiles[String(file.split(separator: "/").last ?? Substring(file))] = data
        }
        var geoSubnets: Data?
        if let file = settings.geo.subnets {
            guard let data = readBytes(directory: directory, file: file) else { return nil }
            geoSubnets = data
        }
        return DocumentSource(
            ConfigDocuments(profiles: profiles, geoSubnets: geoSubnets),
            origin: profilesDirectory.hasSuffix("/") ? profilesDirectory : profilesDirectory + "/",
            geoSubnetsName: settings.geo.subnets)
    }

    private static func readBytes(directory: String, file: String) -> Data? {
        let url = URL(fileURLWithPath: directory).appendingPathComponent(file)
        return try? BoundedFile.read(atPath: url.path, limit: ConfigLoader.maxFileSize)
    }

    /// The profile name in each of `files`, by file name (none for a file that is not a profile with a name):
    /// what `publish --dry-run` reports changes by.
    public func profileNames(of files: [String]) -> [String: String] {
        let wanted = Set(files)
        return profiles.filter { wanted.contains($0.key) }.compactMapValues { data in
            guard case .object(let members)? = try? JSONValue.parse(data),
                case .string(let name)? = members["name"]
            else { return nil }
            return name
        }
    }
}

/// Where a configuration's profiles and subnet map come from.
public struct DocumentSource: Sendable {
    public let documents: ConfigDocuments
    /// Put before each file name in issues, so that an error in a published revision says where it is, e.g.
    /// `etcd revision 42: app.json: endpoints[0]...`.
    let origin: String
    /// What issues call the subnet map; nil: `origin` + `geo-subnets`.
    let geoSubnetsName: String?

    public init(_ documents: ConfigDocuments, origin: String, geoSubnetsName: String? = nil) {
        self.documents = documents
        self.origin = origin
        self.geoSubnetsName = geoSubnetsName
    }

    /// A configuration directory's own documents, named as the loader names its files.
    public static func files(in directory: String) -> DocumentSource? { ConfigDocuments.source(directory: directory) }
}
