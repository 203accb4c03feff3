import Foundation
import TMRouting

/// What `edgetm admin` asks the daemon, as one JSON line on the control socket.
public struct ControlRequest: Codable, Sendable, Equatable {
    public enum Command: String, Codable, Sendable {
        case drain
        case forceUp = "force-up"
        case forceDown = "force-down"
        case clear
        case list

        /// The admin action a setting command asks for; nil for `clear` and `list`.
        public var action: AdminAction? {
            switch self {
            case .drain: .drained
            case .forceUp: .forcedUp
            case .forceDown: .forcedDown
            case .clear, .list: nil
            }
        }
    }

    public let command: Command
    /// Glob patterns (fnmatch) for profile and endpoint names; both required except for `list`.
    public let profile: String?
    public let endpoint: String?
    /// How long a setting holds; nil: until cleared.
    public let seconds: Double?
    public let reason: String?

    public init(
        command: Command, profile: String? = nil, endpoint: String? = nil, seconds: Double? = nil,
        reason: String? = nil
    ) {
        self.command = command
        self.profile = profile
        self.endpoint = endpoint
        self.seconds = seconds
        self.reason = reason
    }
}

/// The daemon's answer: the entries the command touched (every entry for `list`), or why it was refused.
public struct ControlReply: Codable, Sendable, Equatable {
    public let error: String?
    /// Applied, but not as far as asked (a fleet server that cannot reach etcd); absent in older replies.
    public let warning: String?
    public let entries: [AdminEntry]

    public init(entries: [AdminEntry], warning: String? = nil) {
        error = nil
        self.warning = warning
        self.entries = entries
    }

    public init(error: String) {
        self.error = error
        warning = nil
        entries = []
    }

    /// Encoding and decoding agree on dates: RFC 3339, as everywhere else in edgetm's files and status.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
