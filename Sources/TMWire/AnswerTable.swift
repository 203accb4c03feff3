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
    /// What one existing name answers. A class: a lookup hands out one reference, not a copy of every array.
    final class Node: Sendable {
        /// What the answers were prepared from, so that an unchanged name can be carried into the next table.
        let rrsets: [RRset]
        let endpointID: Int?
        /// By query type.
        let answers: AnswersByType
        /// For every other type when the name has a CNAME; the table's NODATA otherwise.
        let cname: PreparedAnswer?

        init(rrsets: [RRset], endpointID: Int?, answers: AnswersByType, cname: PreparedAnswer?) {
            self.rrsets = rrsets
            self.endpointID = endpointID
            self.answers = answers
            self.cname = cname
        }

        func answer(type: UInt16, noData: PreparedAnswer) -> PreparedAnswer { answers[type] ?? cname ?? noData }
    }

    static let typeANY: UInt16 = 255
    static let typeCNAME = RecordType.cname.rawValue
    static let typeOPT: UInt16 = 41
    static let typeTXT = RecordType.txt.rawValue

    let apexKey: [UInt8]
    /// Every name of the zone: one lookup per query finds its answers, whether prepared or chosen per query.
    let names: NameIndex<NameEntry>
    let nxDomain: PreparedAnswer
    let noData: PreparedAnswer
    let chaos: NameIndex<PreparedAnswer>
    /// Profile names answered per query: the plan and one prepared node per answer set.
    final class DynamicNode: Sendable {
        let plan: RoutePlan
        let variants: [Node]

        init(plan: RoutePlan, variants: [Node]) {
            self.plan = plan
            self.variants = variants
        }
    }

    /// A name's answers: prepared (`fixed`) or chosen per query (`routed`). A class holding two optionals rather
    /// than an enum of two class payloads: Swift tags such a payload pointer with spare bits, which leak checkers
    /// cannot follow, and one reference is all a lookup hands out either way.
    final class NameEntry: Sendable {
        let fixed: Node?
        let routed: DynamicNode?

        init(fixed: Node) {
            self.fixed = fixed
            routed = nil
        }

        init(routed: DynamicNode) {
            fixed = nil
            self.routed = routed
        }
    }
    /// Finds clients' locations for Geographic plans.
    let locator: ClientLocator
    /// CHAOS-class names that report status, and who may ask.
    let statusNames: NameIndex<DomainName>
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
        // Names answered per query come first: a name in both keeps its per-query entry.
        let routed = content.dynamicNames.map { name, dynamic in
            (name.wireKey, NameEntry(routed: DynamicNode(plan: dynamic.plan, variants: dynamic.answerSets.map { set in
                Self.node(name: name, rrsets: set.rrsets(ttl: dynamic.ttl).sorted { $0.type < $1.type },
                          content: content, endpointID: set.endpointID)
            })))
        }
        let fixed = content.names.map { name, rrsets in
            let key = name.wireKey
            let endpointID = content.answeredBy[name]
            if let entry = previous?.names[key], let old = entry.fixed, old.rrsets == rrsets,
               old.endpointID == endpointID, !Self.hasGlue(rrsets) {
                return (key, entry)
            }
            return (key, NameEntry(fixed: Self.node(name: name, rrsets: rrsets, content: content,
                                                    endpointID: endpointID)))
        }
        names = NameIndex(routed + fixed)
        self.locator = locator
        chaos = Self.chaosAnswers(identity)
        statusNames = NameIndex(content.statusNames.map { ($0.wireKey, $0) })
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
        return Node(rrsets: rrsets, endpointID: endpointID, answers: AnswersByType(answers),
                    cname: answers[typeCNAME])
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

    private static func chaosAnswers(_ identity: ServerIdentity) -> NameIndex<PreparedAnswer> {
        var answers: [([UInt8], PreparedAnswer)] = []
        for (names, text) in [(["version.bind.", "version.server."], identity.version),
                              (["id.server.", "hostname.bind."], identity.hostname)] {
            for text_ in names {
                let name = DomainName(text_)!
                answers.append((name.wireKey, AnswerEncoder.answer(
                    name: name, type: typeTXT, dnsClass: .chaos,
                    answer: [OwnedRRset(owner: name, dnsClass: .chaos, rrset: RRset(ttl: 0, records: [.txt([text])]))])))
            }
        }
        return NameIndex(answers)
    }

    /// The prepared answer for a question; `name` is its uncompressed wire name, in any case.
    /// `client` is only built when the name's answer depends on it.
    func lookup(name: UnsafeRawBufferPointer, type: UInt16, dnsClass: UInt16, client: () -> ClientQuery) -> Lookup {
        if type == Self.typeOPT { return .prepared(.formatError) }
        switch DNSClass(rawValue: dnsClass) {
        case .internet:
            // AXFR and IXFR: no transfers from a zone whose answers change with health.
            if type == 251 || type == 252 { return .prepared(.refused) }
            guard let entry = names[name] else {
                return .prepared(WireName.isName(name, below: apexKey) ? nxDomain : .refused)
            }
            if let node = entry.fixed { return .prepared(node.answer(type: type, noData: noData)) }
            guard let dynamic = entry.routed else { return .prepared(noData) }
            var query = client()
            guard let index = dynamic.plan.select(for: &query, random: { Double.random(in: 0..<1) }) else {
                return .perClient(noData, scope: query.scopePrefixLength)
            }
            return .perClient(dynamic.variants[index].answer(type: type, noData: noData), scope: query.scopePrefixLength)
        case .chaos:
            guard type == Self.typeTXT || type == Self.typeANY else { return .prepared(.refused) }
            if let answer = chaos[name] { return .prepared(answer) }
            if let name = statusNames[name] { return .status(name) }
            return .prepared(.refused)
        case nil:
            return .prepared(.refused)
        }
    }

    func mayReadStatus(_ client: IPAddress) -> Bool { statusAllow.contains { $0.contains(client) } }
}

/// A name's prepared answers by query type: a handful at most, so a scan beats hashing.
struct AnswersByType: Sendable {
    private let types: [UInt16]
    private let answers: [PreparedAnswer]

    init(_ byType: [UInt16: PreparedAnswer]) {
        let sorted = byType.sorted { $0.key < $1.key }
        types = sorted.map(\.key)
        answers = sorted.map(\.value)
    }

    subscript(type: UInt16) -> PreparedAnswer? {
        guard let index = types.firstIndex(of: type) else { return nil }
        return answers[index]
    }
}
