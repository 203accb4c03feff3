import Foundation

/// `config/published`, written by every `edgetm publish`. A revision too large for one etcd transaction is written
/// in several, between a marker saying `publishing` and one saying `published`; servers apply none of it until the
/// second, so that they never serve half a revision.
public struct PublishMarker: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case publishing, published
    }

    public var state: State
    public var time: Date
    public var host: String
    public var profiles: Int

    public init(state: State, time: Date = Date(), host: String, profiles: Int) {
        self.state = state
        self.time = time
        self.host = host
        self.profiles = profiles
    }

    public var encoded: [UInt8] { Array((try? JSONEncoder.fleet.encode(self)) ?? Data()) }

    /// Nil for a value that is not a marker (one written by hand, say): taken as a complete revision.
    public static func decode(_ bytes: [UInt8]) -> PublishMarker? {
        try? JSONDecoder.fleet.decode(PublishMarker.self, from: Data(bytes))
    }
}
