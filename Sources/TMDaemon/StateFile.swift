import Foundation
import TMHealth

/// Endpoint health kept across restarts: written atomically (write, then rename) on every change.
struct StateFile: Sendable {
    struct Document: Codable {
        var written: Date
        var endpoints: [SavedHealth]
    }

    let url: URL

    /// `stateFile` from the configuration (relative to the configuration directory), else
    /// `$STATE_DIRECTORY/state.json` under systemd, else `DIR/.state.json`.
    init(
        configured: String?, configDirectory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        let directory = URL(fileURLWithPath: configDirectory, isDirectory: true)
        if let configured {
            url = URL(fileURLWithPath: configured, relativeTo: directory).standardizedFileURL
        } else if let state = environment["STATE_DIRECTORY"]?.split(separator: ":").first {
            url = URL(fileURLWithPath: String(state), isDirectory: true).appendingPathComponent("state.json")
        } else {
            url = directory.appendingPathComponent(".state.json")
        }
    }

    enum ReadOutcome {
        case restored([SavedHealth])
        /// Not used, with the reason (missing, unreadable, corrupt, too old): a warning, never a failure.
        case ignored(String)
    }

    func read(maxAge: Double, now: Date = Date()) -> ReadOutcome {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            return .ignored("no state file at \(url.path)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let document = try? decoder.decode(Document.self, from: data) else {
            return .ignored("state file \(url.path) is not valid; starting without it")
        }
        let age = now.timeIntervalSince(document.written)
        guard age >= 0, age < maxAge else {
            return .ignored("state file \(url.path) was written \(Int(age)) s ago, more than stateMaxAgeSeconds")
        }
        return .restored(document.endpoints)
    }

    func write(_ endpoints: [SavedHealth], now: Date = Date()) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(Document(written: now, endpoints: endpoints))
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        try data.write(to: temporary)
        guard rename(temporary.path, url.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }
}
