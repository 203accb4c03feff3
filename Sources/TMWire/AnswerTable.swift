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

    /// Prepares every answer of `content`. Names whose records are unchanged since `previous` keep its prepared
    /// answers, so a health change re-encodes only the names it moved (and the apex, whose SOA serial moved).
    public init(content: ZoneContent, identity: ServerIdentity, reusing previous: AnswerTable? = nil) {
        let soa = OwnedRRset(owner: content.apex, dnsClass: .internet,
                             rrset: RRset(ttl: content.negativeTTL, records: content.soa.records))
        apexKey = content.apex.wireKey
        noData = AnswerEncoder.negative(rcode: .noError, soa: soa)
        nxDomain = AnswerEncoder.negative(rcode: .nxDomain, soa: soa)
        var nodes: [[UInt8]: Node] = [:]
        for (name, rrsets) in content.names {
            let key = name.wireKey
            if let old = previous?.nodes[key], old.rrsets == rrsets, !Self.hasGlue(rrsets) {
                nodes[key] = old
            } else {
                nodes[key] = Self.node(name: name, rrsets: rrsets, content: content)
            }
        }
        self.nodes = nodes
        chaos = Self.chaosAnswers(identity)
    }

    /// NS answers carry other names' addresses, so they are never reused.
    private static func hasGlue(_ rrsets: [RRset]) -> Bool { rrsets.contains { $0.type == .ns } }

    private static func node(name: DomainName, rrsets: [RRset], content: ZoneContent) -> Node {
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
        // Every type but CNAME itself is answered with the CNAME; the resolver follows it.
        return Node(rrsets: rrsets, answers: answers, cname: answers[typeCNAME])
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
    func lookup(nameKey: [UInt8], type: UInt16, dnsClass: UInt16) -> PreparedAnswer {
        if type == Self.typeOPT { return .formatError }
        switch DNSClass(rawValue: dnsClass) {
        case .internet:
            if Self.transferTypes.contains(type) { return .refused }
            guard let node = nodes[nameKey] else {
                return Self.isName(nameKey, below: apexKey) ? nxDomain : .refused
            }
            return node.answers[type] ?? node.cname ?? noData
        case .chaos:
            guard type == Self.typeTXT || type == Self.typeANY, let answer = chaos[nameKey] else { return .refused }
            return answer
        case nil:
            return .refused
        }
    }

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
