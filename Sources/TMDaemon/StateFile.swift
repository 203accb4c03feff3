import Foundation
import TMControl
import TMHealth
import TMSystem

/// Endpoint health and admin state kept across restarts: replaced whole (`AtomicFile`) after every change.
struct StateFile: Sendable {
    /// A state file larger than this is refused unread, so that a planted or runaway file cannot exhaust memory at
    /// start. A probed endpoint takes about 260 bytes, so this holds some 250,000 of them.
    static let maxSize = 64 << 20

    struct Document: Codable {
        var written: Date
        var endpoints: [SavedHealth]
        /// Absent in files written before admin state existed.
        var admin: [AdminEntry]?
        /// The most recent events (absent in older files).
        var events: [Event]?
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

    /// What a restart keeps however old the file is: the operator's admin state (its entries carry their own end)
    /// and the event history.
    struct Kept {
        var admin: [AdminEntry] = []
        var events: [Event] = []
    }

    enum ReadOutcome {
        /// The saved health, and what is kept anyway.
        case restored([SavedHealth], kept: Kept)
        /// Health not used, with the reason (missing, unreadable, corrupt, too old): a warning, never a failure.
        case ignored(String, kept: Kept)
    }

    func read(maxAge: Double, now: Date = Date()) -> ReadOutcome {
        let data: Data
        do {
            data = try BoundedFile.read(atPath: url.path, limit: Self.maxSize)
        } catch .missing {
            return .ignored("no state file at \(url.path)", kept: Kept())
        } catch {
            return .ignored("state file \(url.path) cannot be read: \(error); starting without it", kept: Kept())
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let document = try? decoder.decode(Document.self, from: data) else {
            return .ignored("state file \(url.path) is not valid; starting without it", kept: Kept())
        }
        let age = now.timeIntervalSince(document.written)
        guard age >= 0, age < maxAge else {
            return .ignored(
                "state file \(url.path) was written \(Int(age)) s ago, more than stateMaxAgeSeconds",
                kept: Kept(admin: document.admin ?? [], events: document.events ?? []))
        }
        return .restored(
            document.endpoints, kept: Kept(admin: document.admin ?? [], events: document.events ?? []))
    }

    /// What would make every `write` fail (the path is a directory, its directory is missing or not writable), so
    /// that it is reported once, at start, instead of on every change.
    func checkWritable() throws(FileError) {
        try AtomicFile.checkReplaceable(atPath: url.path)
    }

    func write(_ endpoints: [SavedHealth], admin: [AdminEntry], events: [Event], now: Date = Date()) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(Document(written: now, endpoints: endpoints, admin: admin, events: events))
        try AtomicFile.replace(atPath: url.path, with: data)
    }
}
