/// The records one answer hands out: one endpoint's target, or (MultiValue) several addresses.
public struct AnswerSet: Hashable, Sendable {
    public let a: [IPv4Address]
    public let aaaa: [IPv6Address]
    public let cname: DomainName?
    /// The endpoint counted as answered; nil for MultiValue sets.
    public let endpointID: Int?
    /// Set for answers of profiles with `dnsConfig.adaptiveTtl` while health could change them sooner than the
    /// profile's TTL (`AdaptiveTTL`); nil: the profile's TTL.
    public let ttl: UInt32?

    public init(endpoint: Endpoint, ttl: UInt32? = nil) {
        switch endpoint.target {
        case .ipv4(let address): (a, aaaa, cname) = ([address], [], nil)
        case .ipv6(let address): (a, aaaa, cname) = ([], [address], nil)
        case .name(let name): (a, aaaa, cname) = ([], [], name)
        }
        endpointID = endpoint.id
        self.ttl = ttl
    }

    public init(a: [IPv4Address], aaaa: [IPv6Address], ttl: UInt32? = nil) {
        self.a = a
        self.aaaa = aaaa
        cname = nil
        endpointID = nil
        self.ttl = ttl
    }

    /// The RRsets under a name, with this set's own TTL when it has one, else `profileTTL`.
    public func rrsets(profileTTL: UInt32) -> [RRset] {
        let ttl = self.ttl ?? profileTTL
        var sets: [RRset] = []
        if !a.isEmpty { sets.append(RRset(ttl: ttl, records: a.map(RecordData.a))) }
        if let cname { sets.append(RRset(ttl: ttl, records: [.cname(cname)])) }
        if !aaaa.isEmpty { sets.append(RRset(ttl: ttl, records: aaaa.map(RecordData.aaaa))) }
        return sets
    }
}
