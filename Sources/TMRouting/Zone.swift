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

        public init(mname: DomainName, rname: DomainName, refresh: UInt32, retry: UInt32, expire: UInt32,
                    minimum: UInt32, ttl: UInt32) {
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

    public init(apex: DomainName, soa: SOA, nameservers: [DomainName],
                addresses: [(name: DomainName, targets: [EndpointTarget])]) {
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

/// DNS record types edgetm serves.
public enum RecordType: UInt16, Sendable, Hashable, Comparable {
    case a = 1, ns = 2, cname = 5, soa = 6, txt = 16, aaaa = 28

    public static func < (lhs: RecordType, rhs: RecordType) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The data of one record, in Swift terms; the wire module encodes it.
public enum RecordData: Hashable, Sendable {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case cname(DomainName)
    case ns(DomainName)
    case soa(ZoneConfig.SOA, serial: UInt32)
    case txt([String])

    public var type: RecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .cname: .cname
        case .ns: .ns
        case .soa: .soa
        case .txt: .txt
        }
    }

    public init(target: EndpointTarget) {
        switch target {
        case .ipv4(let address): self = .a(address)
        case .ipv6(let address): self = .aaaa(address)
        case .name(let name): self = .cname(name)
        }
    }
}

/// Records of one name and type.
public struct RRset: Hashable, Sendable {
    public let type: RecordType
    public let ttl: UInt32
    public let records: [RecordData]

    public init(ttl: UInt32, records: [RecordData]) {
        precondition(!records.isEmpty && records.allSatisfy { $0.type == records[0].type })
        type = records[0].type
        self.ttl = ttl
        self.records = records
    }
}

/// A name answered per query: the plan, and every answer it can give (each prepared ahead).
public struct DynamicName: Sendable, Hashable {
    public let plan: RoutePlan
    public let answerSets: [AnswerSet]
    public let ttl: UInt32
}

/// Everything the zone serves at one moment: the result of routing every profile against one health vector.
public struct ZoneContent: Sendable, Hashable {
    public let apex: DomainName
    public let soa: RRset
    public let negativeTTL: UInt32
    /// Every existing name, empty non-terminals included (with no RRsets), RRsets in type order.
    public let names: [DomainName: [RRset]]
    /// For profile names with an answer: the endpoint answered, so that answers can be counted per endpoint.
    public let answeredBy: [DomainName: Int]
    /// Profile names whose answer is chosen per query (they also appear in `names`, with no RRsets).
    public let dynamicNames: [DomainName: DynamicName]
    /// Names whose CHAOS-class TXT query reports status: the apex and every profile name.
    public let statusNames: [DomainName]

    public init(apex: DomainName, soa: RRset, negativeTTL: UInt32, names: [DomainName: [RRset]],
                answeredBy: [DomainName: Int] = [:], dynamicNames: [DomainName: DynamicName] = [:],
                statusNames: [DomainName] = []) {
        self.apex = apex
        self.soa = soa
        self.negativeTTL = negativeTTL
        self.names = names
        self.answeredBy = answeredBy
        self.dynamicNames = dynamicNames
        self.statusNames = statusNames
    }

    /// Routes every profile and lays the results out as names and RRsets.
    public static func build(zone: ZoneConfig, profiles: [Profile], health: HealthVector,
                             serial: UInt32) -> ZoneContent {
        var names: [DomainName: [RRset]] = [:]
        var answeredBy: [DomainName: Int] = [:]
        func add(_ name: DomainName, _ rrset: RRset?) {
            var walk = name
            while walk != zone.apex, walk.isSubdomain(of: zone.apex), names[walk] == nil {
                names[walk] = []
                walk = walk.parent
            }
            if let rrset { names[name, default: []].append(rrset) }
        }
        let soa = RRset(ttl: zone.soa.ttl, records: [.soa(zone.soa, serial: serial)])
        names[zone.apex] = [soa, RRset(ttl: zone.soa.ttl, records: zone.nameservers.map(RecordData.ns))]
        for (name, targets) in zone.addresses {
            let records = targets.map(RecordData.init(target:))
            add(name, nil)
            for type in [RecordType.a, .aaaa] {
                let ofType = records.filter { $0.type == type }
                if !ofType.isEmpty { add(name, RRset(ttl: zone.soa.ttl, records: ofType)) }
            }
        }
        let set = ProfileSet(profiles)
        var dynamic: [DomainName: DynamicName] = [:]
        for profile in profiles where profile.isEnabled {
            let routing = Router.route(profile, set: set, health: health)
            add(profile.fqdn, nil)
            switch routing.plan {
            case .noData:
                continue
            case .answer(let index):
                let answer = routing.answerSets[index]
                for rrset in answer.rrsets(ttl: profile.ttl) { add(profile.fqdn, rrset) }
                answeredBy[profile.fqdn] = answer.endpointID
            case .geographic, .subnet, .weighted:
                dynamic[profile.fqdn] = DynamicName(plan: routing.plan, answerSets: routing.answerSets, ttl: profile.ttl)
            }
        }
        for name in names.keys { names[name]?.sort { $0.type < $1.type } }
        return ZoneContent(apex: zone.apex, soa: soa, negativeTTL: zone.negativeTTL, names: names,
                           answeredBy: answeredBy, dynamicNames: dynamic,
                           statusNames: [zone.apex] + profiles.map(\.fqdn))
    }
}
