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

/// How a profile name is answered, prepared whenever configuration or health changes: a tree whose inner nodes
/// choose by client location, client subnet or weight, and whose leaves index `RoutingResult.answerSets`.
/// Evaluating it per query is a few comparisons; everything else was decided when it was built.
public enum RoutePlan: Hashable, Sendable {
    /// No data: NODATA for the name.
    case noData
    case answer(Int)
    /// Geographic: the first of the client's codes (most specific first) that the table holds.
    case geographic([String: RoutePlan])
    /// Subnet: ranges in order, then the fallback. Only this case needs a box: the others nest plans through arrays
    /// and dictionaries, whose storage is already on the heap.
    indirect case subnet([SubnetChoice], fallback: RoutePlan?)
    /// Weighted: cumulative weights, chosen at random.
    case weighted([WeightedChoice])

    public struct SubnetChoice: Hashable, Sendable {
        public let range: SubnetRange
        public let plan: RoutePlan
    }

    public struct WeightedChoice: Hashable, Sendable {
        public let weight: Int
        public let plan: RoutePlan
    }

    /// Whether the answer can differ between clients or queries.
    public var isDynamic: Bool {
        switch self {
        case .noData, .answer: false
        case .geographic, .subnet, .weighted: true
        }
    }
}

/// A query's client as plans see it: the address (from ECS or the source), its location when a plan needs it, and
/// the scope the answer may be cached for (RFC 7871).
public struct ClientQuery {
    public let address: IPAddress
    /// ECS source prefix length; the full address length when the query had no ECS.
    public let sourcePrefixLength: Int
    private let locator: ClientLocator
    private var cachedLocation: ClientLocation?
    /// The most specific prefix any choice depended on; nil while no choice depended on the client.
    public private(set) var scopePrefixLength: Int?
    /// The path taken, for explaining a decision in status output; only kept when `explaining`.
    public private(set) var path: [String] = []
    private let explaining: Bool

    public init(address: IPAddress, sourcePrefixLength: Int, locator: ClientLocator, explaining: Bool = false) {
        self.address = address
        self.sourcePrefixLength = sourcePrefixLength
        self.locator = locator
        self.explaining = explaining
    }

    public mutating func location() -> ClientLocation {
        if let cachedLocation { return cachedLocation }
        let found = locator.locate(address)
        cachedLocation = found
        return found
    }

    mutating func depend(on prefixLength: Int?) {
        let scope = min(prefixLength ?? sourcePrefixLength, sourcePrefixLength)
        scopePrefixLength = max(scopePrefixLength ?? 0, scope)
    }

    /// Autoclosure: the query path builds no strings.
    mutating func note(_ step: @autoclosure () -> String) {
        if explaining { path.append(step()) }
    }
}

extension RoutePlan {
    /// The answer set for this client, or nil for NODATA. `random` is in 0..<1.
    public func select(for client: inout ClientQuery, random: () -> Double) -> Int? {
        switch self {
        case .noData:
            return nil
        case .answer(let index):
            return index
        case .geographic(let table):
            let location = client.location()
            guard let code = location.codes.first(where: { table[$0] != nil }), let next = table[code] else {
                client.depend(on: nil)
                client.note("geo no-match")
                return nil
            }
            // WORLD matches everyone: no single table entry decided, so the source prefix is the scope.
            client.depend(on: code == "WORLD" ? nil : location.prefixLength)
            client.note("geo \(code) via \(location.source.rawValue)")
            return next.select(for: &client, random: random)
        case .subnet(let choices, let fallback):
            if let choice = choices.first(where: { $0.range.contains(client.address) }) {
                client.depend(on: choice.range.prefixLength)
                client.note("subnet \(choice.range)")
                return choice.plan.select(for: &client, random: random)
            }
            client.depend(on: nil)
            client.note("subnet fallback")
            return fallback?.select(for: &client, random: random)
        case .weighted(let choices):
            let total = choices.reduce(0) { $0 + $1.weight }
            var point = random() * Double(total)
            for choice in choices {
                point -= Double(choice.weight)
                if point < 0 { return choice.plan.select(for: &client, random: random) }
            }
            return choices.last?.plan.select(for: &client, random: random)
        }
    }
}
