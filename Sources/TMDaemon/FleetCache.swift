import Foundation
import TMConfig
import TMSystem

/// The last fleet revision this server applied, kept beside the state file, so that a restart while etcd cannot
/// be reached still serves the fleet's configuration rather than whatever the local files say.
///
/// The documents are stored as they are, one after another behind a small JSON header that names them and their
/// lengths: at 20,000 profiles (38 MB) a JSON document with every file in base64 cost a second and some 150 MB on
/// each reload, which the process did not give back.
struct FleetCache: Sendable {
    struct Cached {
        var revision: Int64
        var documents: ConfigDocuments
    }

    private struct Header: Codable {
        var revision: Int64
        var written: Date
        /// In the order their bytes follow the header.
        var profiles: [Entry]
        var geoSubnets: Int?

        struct Entry: Codable {
            var file: String
            var length: Int
        }
    }

    static let magic = Data("edgetm-fleet-revision 1\n".utf8)

    let url: URL

    /// `fleet-revision` in the state file's directory (`.fleet-revision` beside a hidden state file).
    init(beside stateFile: StateFile) {
        let name = stateFile.url.lastPathComponent.hasPrefix(".") ? ".fleet-revision" : "fleet-revision"
        url = stateFile.url.deletingLastPathComponent().appendingPathComponent(name)
    }

    func read() -> Result<Cached, FleetCacheProblem> {
        let data: Data
        do {
            data = try BoundedFile.read(atPath: url.path, limit: 1 << 30)
        } catch {
            return .failure(FleetCacheProblem(description: "\(url.path) cannot be read: \(error)"))
        }
        let invalid = FleetCacheProblem(description: "\(url.path) is not a fleet revision")
        guard data.starts(with: Self.magic),
            let end = data[(data.startIndex + Self.magic.count)...].firstIndex(of: UInt8(ascii: "\n"))
        else { return .failure(invalid) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let header = try? decoder.decode(Header.self, from: data[(data.startIndex + Self.magic.count)..<end])
        else { return .failure(invalid) }
        var position = end + 1
        func take(_ length: Int) -> Data? {
            guard length >= 0, data.endIndex - position >= length else { return nil }
            defer { position += length }
            return Data(data[position..<(position + length)])
        }
        var profiles: [String: Data] = [:]
        for entry in header.profiles {
            guard let bytes = take(entry.length) else { return .failure(invalid) }
            profiles[entry.file] = bytes
        }
        var geoSubnets: Data?
        if let length = header.geoSubnets {
            guard let bytes = take(length) else { return .failure(invalid) }
            geoSubnets = bytes
        }
        guard position == data.endIndex else { return .failure(invalid) }
        return .success(
            Cached(revision: header.revision, documents: ConfigDocuments(profiles: profiles, geoSubnets: geoSubnets)))
    }

    func write(_ documents: ConfigDocuments, revision: Int64) throws {
        let files = documents.profiles.keys.sorted()
        let header = Header(
            revision: revision, written: Date(),
            profiles: files.map { Header.Entry(file: $0, length: documents.profiles[$0]?.count ?? 0) },
            geoSubnets: documents.geoSubnets?.count)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        var data = Self.magic
        data.append(try encoder.encode(header))
        data.append(UInt8(ascii: "\n"))
        for file in files { data.append(documents.profiles[file] ?? Data()) }
        if let geoSubnets = documents.geoSubnets { data.append(geoSubnets) }
        try AtomicFile.replace(atPath: url.path, with: data)
    }
}

struct FleetCacheProblem: Error, CustomStringConvertible {
    let description: String
}
