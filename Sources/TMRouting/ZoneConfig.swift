/// The zone's own settings from `edgetm.json`.
public struct ZoneConfig: Hashable, Sendable {
    public struct SOA: Hashable, Sendable {
        public var mname: DomainName
        public var rname: DomainName
        public var refresh: UInt32
        public var retry: UInt32
        public var expire: UInt32
        public var minimum: UInt32
        public var ttl: UInt32

        public init(
            mname: DomainName, rname: DomainName, refresh: UInt32, retry: UInt32, expire: UInt32,
            minimum: UInt32, ttl: UInt32
        ) {
            self.mname = mname
            self.rname = rname
            self.refresh = refresh
            self.retry = retry
            self.expire = expire
            self.minimum = minimum
            self.ttl = ttl
        }
    }

    public var apex: DomainName
    public var soa: SOA
    public var nameservers: [DomainName]
    /// Addresses of names inside the zone (the nameservers' glue), in file order.
    public var addresses: [(name: DomainName, targets: [EndpointTarget])]

    public init(
        apex: DomainName, soa: SOA, nameservers: [DomainName],
        addresses: [(name: DomainName, targets: [EndpointTarget])]
    ) {
        self.apex = apex
        self.soa = soa
        self.nameservers = nameservers
        self.addresses = addresses
    }

    public static func == (lhs: ZoneConfig, rhs: ZoneConfig) -> Bool {
        lhs.apex == rhs.apex && lhs.soa == rhs.soa && lhs.nameservers == rhs.nameservers
            && lhs.addresses.map(\.name) == rhs.addresses.map(\.name)
            && lhs.addresses.map(\.targets) == rhs.addresses.map(\.targets)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(apex) }

    /// RFC 2308: negative answers are cached for the lesser of the SOA's TTL and its minimum field.
    public var negativeTTL: UInt32 { min(soa.ttl, soa.minimum) }
}
