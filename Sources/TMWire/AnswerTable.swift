import TMRouting

/// Every answer the server can give, prepared from the zone's settings and one routing table. Immutable; replaced
/// whole on change, by a table that shares everything a change did not touch.
public final class AnswerTable: Sendable {
    static let typeANY: UInt16 = 255
    static let typeOPT: UInt16 = 41
    static let typeTXT = RecordType.txt.rawValue

    let apexKey: [UInt8]
    /// Every name of the zone: one lookup per query finds its answers, whether prepared or chosen per query.
    let names: NameIndex<NameEntry>
    let nxDomain: PreparedAnswer
    let noData: PreparedAnswer
    let chaos: NameIndex<PreparedAnswer>
    /// Finds clients' locations for Geographic plans.
    let locator: ClientLocator
    /// CHAOS-class names that report status, and who may ask.
    let statusNames: NameIndex<DomainName>
    let statusAllow: [IPNetwork]
    /// What an update needs to rebuild the apex and the profile names it touches.
    private let layout: ZoneLayout

    /// What a question resolves to: a prepared answer, or a status report to produce now.
    enum Lookup {
        case prepared(PreparedAnswer)
        case status(DomainName)
        /// Selected for this client: the answer and the ECS scope it may be cached for.
        case perQuery(PreparedAnswer, scope: Int?)
    }

    /// Prepares every answer; a profile name whose records are the same as in `previous` (a reload that did not
    /// touch it) keeps the answers `previous` encoded. Throws when ldns cannot encode one, so that such a
    /// configuration is refused.
    public convenience init(
        zone: ZoneConfig, routing: RoutingTable, serial: UInt32, identity: ServerIdentity,
        statusAllow: [IPNetwork] = [], locator: ClientLocator = .none, reusing previous: AnswerTable? = nil
    ) throws(AnswerEncodingError) {
        let layout = try ZoneLayout(zone: zone, profiles: routing.profiles)
        var pairs: [([UInt8], NameEntry)] = []
        for (index, key) in layout.profileKeys.enumerated() {
            guard let key else { continue }
            pairs.append(
                (
                    key,
                    try Self.entry(
                        for: routing.profiles[index], route: routing[profile: index], previous: previous?.names[key])
                ))
        }
        pairs.append((layout.apexKey, try layout.apexEntry(serial: serial)))
        pairs += layout.otherEntries
        let chaos = try Self.chaosAnswers(identity)
        try self.init(
            layout: layout, names: NameIndex(pairs), serial: serial, chaos: chaos,
            statusNames: NameIndex(layout.statusNames.map { ($0.wireKey, $0) }), statusAllow: statusAllow,
            locator: locator)
    }

    private init(
        layout: ZoneLayout, names: NameIndex<NameEntry>, serial: UInt32, chaos: NameIndex<PreparedAnswer>,
        statusNames: NameIndex<DomainName>, statusAllow: [IPNetwork],
        locator: ClientLocator
    ) throws(AnswerEncodingError) {
        self.layout = layout
        apexKey = layout.apexKey
        let soa = layout.negativeSOA(serial: serial)
        noData = try AnswerEncoder.negative(rcode: .noError, soa: soa)
        nxDomain = try AnswerEncoder.negative(rcode: .nxDomain, soa: soa)
        self.names = names
        self.chaos = chaos
        self.statusNames = statusNames
        self.statusAllow = statusAllow
        self.locator = locator
    }

    /// The table after a health change: the profiles in `changed` (indices into `routing.profiles`, the same
    /// profiles this table was built from) and the apex (whose SOA serial moves) are encoded again; every other
    /// name keeps its prepared answers.
    public func updating(routing: RoutingTable, changed: [Int], serial: UInt32) throws(AnswerEncodingError)
        -> AnswerTable
    {
        var replacements: [(position: Int, value: NameEntry)] = []
        if let apex = names.position(of: layout.apexKey) {
            replacements.append((apex, try layout.apexEntry(serial: serial)))
        }
        for index in changed {
            guard let key = layout.profileKeys[index], let position = names.position(of: key) else { continue }
            let entry = try Self.entry(
                for: routing.profiles[index], route: routing[profile: index], previous: names[key])
            replacements.append((position, entry))
        }
        return try AnswerTable(
            layout: layout, names: names.replacingValues(replacements), serial: serial,
            chaos: chaos, statusNames: statusNames, statusAllow: statusAllow, locator: locator)
    }

    /// A profile name's entry: prepared when its answer does not depend on the client, else its plan and a
    /// prepared name per answer set.
    private static func entry(
        for profile: Profile, route: ProfileRoute, previous: NameEntry? = nil
    ) throws(AnswerEncodingError) -> NameEntry {
        if route.decision.isPerQuery {
            var variants: [PreparedName] = []
            for set in route.answerSets {
                let rrsets = set.rrsets(profileTTL: profile.ttl)
                if let kept = previous?.perQuery?.variants.first(where: {
                    $0.isPrepared(from: rrsets, endpointID: set.endpointID)
                }) {
                    variants.append(kept)
                } else {
                    variants.append(try prepare(name: profile.fqdn, rrsets: rrsets, endpointID: set.endpointID))
                }
            }
            return NameEntry(perQuery: PerQueryName(plan: route.plan, variants: variants))
        }
        let answer = route.answer
        let rrsets = answer?.rrsets(profileTTL: profile.ttl) ?? []
        if let kept = previous?.fixed, kept.isPrepared(from: rrsets, endpointID: answer?.endpointID),
            let entry = previous
        {
            return entry
        }
        return NameEntry(fixed: try prepare(name: profile.fqdn, rrsets: rrsets, endpointID: answer?.endpointID))
    }

    /// Encodes every RRset of a name; `glue` gives the addresses of in-zone name servers for NS answers.
    static func prepare(
        name: DomainName, rrsets: [RRset], endpointID: Int?,
        glue: (RRset) -> [OwnedRRset] = { _ in [] }
    ) throws(AnswerEncodingError) -> PreparedName {
        let rrsets = rrsets.sorted { $0.type < $1.type }
        var answers: [UInt16: PreparedAnswer] = [:]
        for rrset in rrsets {
            let type = rrset.type.rawValue
            answers[type] = try AnswerEncoder.answer(
                name: name, type: type, dnsClass: .internet,
                answer: [OwnedRRset(owner: name, dnsClass: .internet, rrset: rrset)],
                additional: rrset.type == .ns ? glue(rrset) : [])
        }
        // RFC 8482: ANY gets one RRset, not all of them.
        if let first = rrsets.first {
            answers[typeANY] = try AnswerEncoder.answer(
                name: name, type: typeANY, dnsClass: .internet,
                answer: [OwnedRRset(owner: name, dnsClass: .internet, rrset: first)])
        }
        if let endpointID {
            for type in answers.keys { answers[type]?.endpointID = Int32(endpointID) }
        }
        // Every type but CNAME itself is answered with the CNAME; the resolver follows it.
        return PreparedName(answers: answers, rrsets: rrsets, endpointID: endpointID)
    }

    private static func chaosAnswers(_ identity: ServerIdentity) throws(AnswerEncodingError)
        -> NameIndex<PreparedAnswer>
    {
        var answers: [([UInt8], PreparedAnswer)] = []
        for (names, text) in [
            (["version.bind.", "version.server."], identity.version),
            (["id.server.", "hostname.bind."], identity.hostname),
        ] {
            for spelling in names {
                let name = DomainName(spelling)!
                let rrset = RRset(ttl: 0, records: [.txt([text])])
                answers.append(
                    (
                        name.wireKey,
                        try AnswerEncoder.answer(
                            name: name, type: typeTXT, dnsClass: .chaos,
                            answer: [OwnedRRset(owner: name, dnsClass: .chaos, rrset: rrset)])
                    ))
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
            if let prepared = entry.fixed { return .prepared(prepared.answer(type: type, noData: noData)) }
            guard let perQuery = entry.perQuery else { return .prepared(noData) }
            var query = client()
            guard let index = perQuery.plan.select(for: &query, random: { Double.random(in: 0..<1) }) else {
                return .perQuery(noData, scope: query.scopePrefixLength)
            }
            return .perQuery(
                perQuery.variants[index].answer(type: type, noData: noData),
                scope: query.scopePrefixLength)
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
