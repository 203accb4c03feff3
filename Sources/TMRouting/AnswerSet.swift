/// The records one answer hands out: one endpoint's target, or (MultiValue) several addresses.
public struct AnswerSet: Hashable, Sendable {
    public let a: [IPv4Address]
    public let aaaa: [IPv6Address]
    public let cname: DomainName?
    /// The endpoint counted as answered; nil for MultiValue sets.
    public let endpointID: Int?

    public init(endpoint: Endpoint) {
        switch endpoint.target {
        case .ipv4(let address): (a, aaaa, cname) = ([address], [], nil)
        case .ipv6(let address): (a, aaaa, cname) = ([], [address], nil)
        case .name(let name): (a, aaaa, cname) = ([], [], name)
        }
        endpointID = endpoint.id
    }

    public init(a: [IPv4Address], aaaa: [IPv6Address]) {
        self.a = a
        self.aaaa = aaaa
        cname = nil
        endpointID = nil
    }

    /// The RRsets under a name with `ttl`.
    public func rrsets(ttl: UInt32) -> [RRset] {
        var sets: [RRset] = []
        if !a.isEmpty { sets.append(RRset(ttl: ttl, records: a.map(RecordData.a))) }
        if let cname { sets.append(RRset(ttl: ttl, records: [.cname(cname)])) }
        if !aaaa.isEmpty { sets.append(RRset(ttl: ttl, records: aaaa.map(RecordData.aaaa))) }
        return sets
    }
}
