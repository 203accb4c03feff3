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
    /// Response rate limiting over UDP; nil: off.
    public let rateLimit: RateLimit?
    /// DNS cookies; nil: off (COOKIE options are ignored).
    public let cookies: CookieSettings?
    /// The etcd fleet this server belongs to; nil: a standalone server.
    public let fleet: FleetSettings?
    /// Where probes leave from: at most one IPv4 and one IPv6 address; empty: wherever the kernel picks.
    public let probeSourceAddresses: [IPAddress]

    public var endpointCount: Int { profiles.reduce(0) { $0 + $1.endpoints.count } }

    public init(
        directory: String, listen: [ListenAddress], zone: ZoneConfig, profiles: [Profile],
        statusAllow: [IPNetwork] = [], stateFile: String? = nil, stateMaxAgeSeconds: Double = 3600,
        locator: ClientLocator = .none, http: HTTPSettings? = nil, rateLimit: RateLimit? = nil,
        cookies: CookieSettings? = nil, fleet: FleetSettings? = nil, probeSourceAddresses: [IPAddress] = []
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
        self.rateLimit = rateLimit
        self.cookies = cookies
        self.fleet = fleet
        self.probeSourceAddresses = probeSourceAddresses
    }

    /// The same configuration with the cookie secret the daemon created for it.
    public func withCookieSecret(_ secret: [UInt8]) -> Configuration {
        Configuration(
            directory: directory, listen: listen, zone: zone, profiles: profiles, statusAllow: statusAllow,
            stateFile: stateFile, stateMaxAgeSeconds: stateMaxAgeSeconds, locator: locator, http: http,
            rateLimit: rateLimit,
            cookies: cookies.map { CookieSettings(secretFile: $0.secretFile, secret: secret) }, fleet: fleet,
            probeSourceAddresses: probeSourceAddresses)
    }
}

/// `cookies` in edgetm.json.
public struct CookieSettings: Sendable {
    /// Resolved against the configuration directory.
    public let secretFile: String
    /// Nil while the file does not exist yet: `edgetm serve` creates it (`CookieSecretFile.create`).
    public let secret: [UInt8]?

    public init(secretFile: String, secret: [UInt8]?) {
        self.secretFile = secretFile
        self.secret = secret
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
