import TMRouting

/// The names of the zone that the configuration alone decides: the apex (SOA, NS), names with addresses, empty
/// non-terminals, and where each enabled profile's name is. Made once per configuration; every answer table of
/// that configuration shares it and the prepared answers of its address names.
struct ZoneLayout: Sendable {
    let apex: DomainName
    let apexKey: [UInt8]
    let soa: ZoneConfig.SOA
    let nameservers: RRset
    /// Lowercase wire names of the profiles, by profile index; nil for disabled profiles, whose names do not exist.
    let profileKeys: [[UInt8]?]
    /// The apex and every profile name: where CHAOS-class TXT reports status.
    let statusNames: [DomainName]
    /// Names with addresses and empty non-terminals, prepared.
    let otherEntries: [([UInt8], NameEntry)]
    private let negativeTTL: UInt32
    private let glue: [DomainName: [RRset]]

    init(zone: ZoneConfig, profiles: ProfileSet) throws(AnswerEncodingError) {
        apex = zone.apex
        apexKey = zone.apex.wireKey
        soa = zone.soa
        negativeTTL = zone.negativeTTL
        nameservers = RRset(ttl: zone.soa.ttl, records: zone.nameservers.map(RecordData.ns))
        var names: [DomainName: [RRset]] = [:]
        func add(_ name: DomainName, _ rrset: RRset?) {
            var walk = name
            while walk != zone.apex, walk.isSubdomain(of: zone.apex), names[walk] == nil {
                names[walk] = []
                walk = walk.parent
            }
            if let rrset { names[name, default: []].append(rrset) }
        }
        for (name, targets) in zone.addresses {
            let records = targets.map(RecordData.init(target:))
            add(name, nil)
            for type in [RecordType.a, .aaaa] {
                let ofType = records.filter { $0.type == type }
                if !ofType.isEmpty { add(name, RRset(ttl: zone.soa.ttl, records: ofType)) }
            }
        }
        glue = names.filter { !$0.value.isEmpty }
        profileKeys = profiles.profiles.map { $0.isEnabled ? $0.fqdn.wireKey : nil }
        for profile in profiles.profiles where profile.isEnabled { add(profile.fqdn, nil) }
        let profileNames = Set(profiles.profiles.filter(\.isEnabled).map(\.fqdn))
        var entries: [([UInt8], NameEntry)] = []
        for (name, rrsets) in names where !profileNames.contains(name) {
            entries.append(
                (
                    name.wireKey,
                    NameEntry(
                        fixed: try AnswerTable.prepare(
                            name: name, rrsets: rrsets,
                            endpointID: nil))
                ))
        }
        otherEntries = entries
        statusNames = [zone.apex] + profiles.profiles.map(\.fqdn)
    }

    /// The apex answers SOA (with this serial) and NS, with the addresses of in-zone name servers as glue.
    func apexEntry(serial: UInt32) throws(AnswerEncodingError) -> NameEntry {
        let soaSet = RRset(ttl: soa.ttl, records: [.soa(soa, serial: serial)])
        return NameEntry(
            fixed: try AnswerTable.prepare(name: apex, rrsets: [soaSet, nameservers], endpointID: nil) {
                nsSet in
                nsSet.records.flatMap { record -> [OwnedRRset] in
                    guard case .ns(let server) = record, let sets = glue[server] else { return [] }
                    return sets.map { OwnedRRset(owner: server, dnsClass: .internet, rrset: $0) }
                }
            })
    }

    /// The SOA that negative answers carry, with RFC 2308's TTL.
    func negativeSOA(serial: UInt32) -> OwnedRRset {
        OwnedRRset(
            owner: apex, dnsClass: .internet, rrset: RRset(ttl: negativeTTL, records: [.soa(soa, serial: serial)]))
    }
}
