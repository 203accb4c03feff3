import TMRouting

/// Who this server is, for the CHAOS-class `version.bind` and `id.server` answers.
public struct ServerIdentity: Sendable, Hashable {
    public let version: String
    public let hostname: String

    public init(version: String, hostname: String) {
        self.version = version
        self.hostname = hostname
    }
}

/// Every answer the server can give, prepared from one `ZoneContent`. Immutable; replaced whole on change.
public final class AnswerTable: Sendable {
    /// What one existing name answers.
    struct Node: Sendable {
        /// What the answers were prepared from, so that an unchanged name can be carried into the next table.
        let rrsets: [RRset]
        let endpointID: Int?
        /// By query type.
        let answers: [UInt16: PreparedAnswer]
        /// For every other type when the name has a CNAME; the table's NODATA otherwise.
        let cname: PreparedAnswer?
    }

    static let typeANY: UInt16 = 255
    static let typeCNAME = RecordType.cname.rawValue
    static let transferTypes: Set<UInt16> = [251, 252]
    static let typeOPT: UInt16 = 41
    static let typeTXT = RecordType.txt.rawValue

    let apexKey: [UInt8]
    let nodes: [[UInt8]: Node]
    let nxDomain: PreparedAnswer
    let noData: PreparedAnswer
    let chaos: [[UInt8]: PreparedAnswer]
    /// Profile names answered per query: the plan and one prepared node per answer set.
    struct DynamicNode: Sendable {
        let plan: RoutePlan
        let variants: [Node]
    }

    let dynamic: [[UInt8]: DynamicNode]
    /// Finds clients' locations for Geographic plans.
    let locator: ClientLocator
    /// CHAOS-class names that report status, and who may ask.
    let statusNames: [[UInt8]: DomainName]
    let statusAllow: [IPNetwork]

    /// What a question resolves to: a prepared answer, or a status report to produce now.
    enum Lookup {
        case prepared(PreparedAnswer)
        case status(DomainName)
        /// Chosen for this client: the answer and the ECS scope it may be cached for.
        case perClient(PreparedAnswer, scope: Int?)
    }

    /// Prepares every answer of `content`. Names whose records are unchanged since `previous` keep its prepared
    /// answers, so a health change re-encodes only the names it moved (and the apex, whose SOA serial moved).
    public init(content: ZoneContent, identity: ServerIdentity, statusAllow: [IPNetwork] = [],
                locator: ClientLocator = .none, reusing previous: AnswerTable? = nil) {
        let soa = OwnedRRset(owner: content.apex, dnsClass: .internet,
                             rrset: RRset(ttl: content.negativeTTL, records: content.soa.records))
        apexKey = content.apex.wireKey
        noData = AnswerEncoder.negative(rcode: .noError, soa: soa)
        nxDomain = AnswerEncoder.negative(rcode: .nxDomain, soa: soa)
        var nodes: [[UInt8]: Node] = [:]
        for (name, rrsets) in content.names {
            let key = name.wireKey
            let endpointID = content.answeredBy[name]
            if let old = previous?.nodes[key], old.rrsets == rrsets, old.endpointID == endpointID,
               !Self.hasGlue(rrsets) {
                nodes[key] = old
            } else {
                nodes[key] = Self.node(name: name, rrsets: rrsets, content: content, endpointID: endpointID)
            }
        }
        self.nodes = nodes
        dynamic = Dictionary(uniqueKeysWithValues: content.dynamicNames.map { name, dynamic in
            (name.wireKey, DynamicNode(plan: dynamic.plan, variants: dynamic.answerSets.map { set in
                Self.node(name: name, rrsets: set.rrsets(ttl: dynamic.ttl).sorted { $0.type < $1.type },
                          content: content, endpointID: set.endpointID)
            }))
        })
        self.locator = locator
        chaos = Self.chaosAnswers(identity)
        statusNames = Dictionary(content.statusNames.map { ($0.wireKey, $0) }, uniquingKeysWith: { first, _ in first })
        self.statusAllow = statusAllow
    }

    /// NS answers carry other names' addresses, so they are never reused.
    private static func hasGlue(_ rrsets: [RRset]) -> Bool { rrsets.contains { $0.type == .ns } }

    private static func node(name: DomainName, rrsets: [RRset], content: ZoneContent, endpointID: Int?) -> Node {
        var answers: [UInt16: PreparedAnswer] = [:]
        for rrset in rrsets {
            let type = rrset.type.rawValue
            answers[type] = AnswerEncoder.answer(
                name: name, type: type, dnsClass: .internet,
                answer: [OwnedRRset(owner: name, dnsClass: .internet, rrset: rrset)],
                additional: rrset.type == .ns ? glue(for: rrset, in: content) : [])
        }
        // RFC 8482: ANY gets one RRset, not all of them.
        if let first = rrsets.first {
            answers[typeANY] = AnswerEncoder.answer(
                name: name, type: typeANY, dnsClass: .internet,
                answer: [OwnedRRset(owner: name, dnsClass: .internet, rrset: first)])
        }
        if let endpointID {
            for type in answers.keys { answers[type]?.endpointID = Int32(endpointID) }
        }
        // Every type but CNAME itself is answered with the CNAME; the resolver follows it.
        return Node(rrsets: rrsets, endpointID: endpointID, answers: answers, cname: answers[typeCNAME])
    }

    /// Addresses of in-zone name servers, for the additional section of NS answers.
    private static func glue(for rrset: RRset, in content: ZoneContent) -> [OwnedRRset] {
        rrset.records.flatMap { record -> [OwnedRRset] in
            guard case .ns(let server) = record, let sets = content.names[server] else { return [] }
            return sets.filter { $0.type == .a || $0.type == .aaaa }.map {
                OwnedRRset(owner: server, dnsClass: .internet, rrset: $0)
            }
        }
    }

    private static func chaosAnswers(_ identity: ServerIdentity) -> [[UInt8]: PreparedAnswer] {
        var answers: [[UInt8]: PreparedAnswer] = [:]
        for (names, text) in [(["version.bind.", "version.server."], identity.version),
                              (["id.server.", "hostname.bind."], identity.hostname)] {
            for text_ in names {
                let name = DomainName(text_)!
                answers[name.wireKey] = AnswerEncoder.answer(
                    name: name, type: typeTXT, dnsClass: .chaos,
                    answer: [OwnedRRset(owner: name, dnsClass: .chaos, rrset: RRset(ttl: 0, records: [.txt([text])]))])
            }
        }
        return answers
    }

    /// The prepared answer for a question; `nameKey` is the lowercase uncompressed wire name.
    /// `client` is only built when the name's answer depends on it.
    func lookup(nameKey: [UInt8], type: UInt16, dnsClass: UInt16, client: () -> ClientQuery) -> Lookup {
        if type == Self.typeOPT { return .prepared(.formatError) }
        switch DNSClass(rawValue: dnsClass) {
        case .internet:
            if Self.transferTypes.contains(type) { return .prepared(.refused) }
            if let dynamic = dynamic[nameKey] {
                var query = client()
                guard let index = dynamic.plan.select(for: &query, random: { Double.random(in: 0..<1) }) else {
                    return .perClient(noData, scope: query.scopePrefixLength)
                }
                let node = dynamic.variants[index]
                return .perClient(node.answers[type] ?? node.cname ?? noData, scope: query.scopePrefixLength)
            }
            guard let node = nodes[nameKey] else {
                return .prepared(Self.isName(nameKey, below: apexKey) ? nxDomain : .refused)
            }
            return .prepared(node.answers[type] ?? node.cname ?? noData)
        case .chaos:
            guard type == Self.typeTXT || type == Self.typeANY else { return .prepared(.refused) }
            if let answer = chaos[nameKey] { return .prepared(answer) }
            if let name = statusNames[nameKey] { return .status(name) }
            return .prepared(.refused)
        case nil:
            return .prepared(.refused)
        }
    }

    func mayReadStatus(_ client: IPAddress) -> Bool { statusAllow.contains { $0.contains(client) } }

    /// Whether `name` equals `suffix` or ends with it at a label boundary (both lowercase wire form).
    static func isName(_ name: [UInt8], below suffix: [UInt8]) -> Bool {
        var offset = 0
        while offset < name.count {
            if name.count - offset == suffix.count { return name[offset...].elementsEqual(suffix) }
            if name.count - offset < suffix.count { return false }
            offset += Int(name[offset]) + 1
        }
        return false
    }
}
