import Foundation
import TMConfig
import TMSystem

/// The last fleet revision this server applied, kept beside the state file, so that a restart while etcd cannot
/// be reached still serves the fleet's configuration rather than whatever the local files say.
struct FleetCache: Sendable {
    struct Document: Codable {
        var revision: Int64
        var written: Date
        var documents: ConfigDocuments
    }

    let url: URL

    /// `fleet-revision.json` in the state file's directory (`.fleet-revision.json` beside a hidden state file).
    init(beside stateFile: StateFile) {
        let name = stateFile.url.lastPathComponent.hasPrefix(".") ? ".fleet-revision.json" : "fleet-revision.json"
        url = stateFile.url.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Nil when there is none or it cannot be read (the reason is for the log).
    func read() -> Result<Document, FleetCacheProblem> {
        let data: Data
        do {
            data = try BoundedFile.read(atPath: url.path, limit: StateFile.maxSize)
        } catch {
            return .failure(FleetCacheProblem(description: "\(url.path) cannot be read: \(error)"))
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let document = try? decoder.decode(Document.self, from: data) else {
            return .failure(FleetCacheProblem(description: "\(url.path) is not a fleet revision"))
        }
        return .success(document)
    }

    func write(_ documents: ConfigDocuments, revision: Int64) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(Document(revision: revision, written: Date(), documents: documents))
        try AtomicFile.replace(atPath: url.path, with: data)
    }
}

struct FleetCacheProblem: Error, CustomStringConvertible {
    let description: String
}
