import TMRouting

/// A validated configuration: everything the daemon needs, immutable.
public struct Configuration: Sendable {
    public let directory: String
    public let listen: [ListenAddress]
    public let zone: ZoneConfig
    /// In file-name order; endpoint ids run from 0 to `endpointCount - 1` across them.
    public let profiles: [Profile]
    /// Clients allowed to read status over DNS (CHAOS TXT of the zone and profile names).
    public let statusAllow: [IPNetwork]
    /// Where endpoint health is kept across restarts, as configured (resolved by the daemon); nil for the default.
    public let stateFile: String?
    public let stateMaxAgeSeconds: Double
    /// Where clients are, for Geographic routing: the operator's subnet map, then the geo database.
    public let locator: ClientLocator
    /// The HTTP interface; nil: none (like `listen`, applied at start only).
    public let http: HTTPSettings?

    public var endpointCount: Int { profiles.reduce(0) { $0 + $1.endpoints.count } }

    public init(
        directory: String, listen: [ListenAddress], zone: ZoneConfig, profiles: [Profile],
        statusAllow: [IPNetwork] = [], stateFile: String? = nil, stateMaxAgeSeconds: Double = 3600,
        locator: ClientLocator = .none, http: HTTPSettings? = nil
    ) {
        self.directory = directory
        self.listen = listen
        self.zone = zone
        self.profiles = profiles
        self.statusAllow = statusAllow
        self.stateFile = stateFile
        self.stateMaxAgeSeconds = stateMaxAgeSeconds
        self.locator = locator
        self.http = http
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
