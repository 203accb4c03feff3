import Foundation
import TMRouting

/// One endpoint's admin state, named as operators name it: what the control socket lists and the state file keeps.
public struct AdminEntry: Codable, Sendable, Hashable {
    public let profile: String
    public let endpoint: String
    public let override: AdminOverride

    public init(profile: String, endpoint: String, override: AdminOverride) {
        self.profile = profile
        self.endpoint = endpoint
        self.override = override
    }

    public func isExpired(at now: Date) -> Bool { override.until.map { $0 <= now } ?? false }
}
