/// An endpoint by its names, which survive reloads (ids do not) and are the same on every server of a fleet.
public struct EndpointKey: Hashable, Sendable, Comparable {
    public let profile: String
    public let endpoint: String

    public init(profile: String, endpoint: String) {
        self.profile = profile
        self.endpoint = endpoint
    }

    public static func < (lhs: EndpointKey, rhs: EndpointKey) -> Bool {
        (lhs.profile, lhs.endpoint) < (rhs.profile, rhs.endpoint)
    }
}
