/// Who this server is, for the CHAOS-class `version.bind` and `id.server` answers.
public struct ServerIdentity: Sendable, Hashable {
    public let version: String
    public let hostname: String

    public init(version: String, hostname: String) {
        self.version = version
        self.hostname = hostname
    }
}
