import TMRouting

/// A validated configuration: everything the daemon needs, immutable.
public struct Configuration: Sendable, Hashable {
    public let directory: String
    public let listen: [ListenAddress]
    public let zone: ZoneConfig
    /// In file-name order; endpoint ids run from 0 to `endpointCount - 1` across them.
    public let profiles: [Profile]

    public var endpointCount: Int { profiles.reduce(0) { $0 + $1.endpoints.count } }

    public init(directory: String, listen: [ListenAddress], zone: ZoneConfig, profiles: [Profile]) {
        self.directory = directory
        self.listen = listen
        self.zone = zone
        self.profiles = profiles
    }
}

/// The outcome of loading a configuration directory: a configuration only when there was no error.
public struct LoadResult: Sendable {
    public let configuration: Configuration?
    /// Errors and warnings, in the order files and keys were read.
    public let issues: [ConfigIssue]

    public var errors: [ConfigIssue] { issues.filter { $0.severity == .error } }
    public var warnings: [ConfigIssue] { issues.filter { $0.severity == .warning } }
}
