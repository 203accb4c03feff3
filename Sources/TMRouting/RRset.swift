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
