internal import CLDNS
import TMRouting

/// Response codes edgetm sends (RFC 1035, 6891).
enum RCode: UInt16 {
    case noError = 0, formErr = 1, serverFailure = 2, nxDomain = 3, notImplemented = 4, refused = 5
    case badVersion = 16
}

/// A response prepared when the configuration or health changed: everything after the question, in wire form.
/// The query path only puts the query's ID, flags and question in front of it.
struct PreparedAnswer: Sendable, Hashable {
    let rcode: RCode
    let authoritative: Bool
    let answerCount: UInt16
    let authorityCount: UInt16
    let additionalCount: UInt16
    /// Answer, authority and additional sections. Compression pointers in it assume the question starts at
    /// offset 12 and has the length of the name it was prepared for.
    let sections: [UInt8]
    /// The endpoint this answer hands out, for per-endpoint answer counts; -1 for none.
    var endpointID: Int32 = -1

    static let refused = PreparedAnswer(rcode: .refused, authoritative: false, answerCount: 0, authorityCount: 0,
                                        additionalCount: 0, sections: [])
    static let formatError = PreparedAnswer(rcode: .formErr, authoritative: false, answerCount: 0,
                                            authorityCount: 0, additionalCount: 0, sections: [])
    static let badVersion = PreparedAnswer(rcode: .badVersion, authoritative: false, answerCount: 0,
                                           authorityCount: 0, additionalCount: 0, sections: [])
    static let notImplemented = PreparedAnswer(rcode: .notImplemented, authoritative: false, answerCount: 0,
                                               authorityCount: 0, additionalCount: 0, sections: [])
}

/// One record set to place in a section.
struct OwnedRRset {
    let owner: DomainName
    let dnsClass: DNSClass
    let rrset: RRset
}

/// Encodes prepared answers with ldns, the one source of truth for the wire format.
enum AnswerEncoder {
    /// A positive or NODATA answer for `name`, compressed against a question for `name`.
    static func answer(name: DomainName, type: UInt16, dnsClass: DNSClass, rcode: RCode = .noError,
                       answer: [OwnedRRset], authority: [OwnedRRset] = [],
                       additional: [OwnedRRset] = []) -> PreparedAnswer {
        let packet = ldns_pkt_query_new(LDNSRecord.dname(name), ldns_rr_type(rawValue: UInt32(type)),
                                        ldns_rr_class(rawValue: UInt32(dnsClass.rawValue)), 0)!
        defer { ldns_pkt_free(packet) }
        for (section, sets) in [(LDNS_SECTION_ANSWER, answer), (LDNS_SECTION_AUTHORITY, authority),
                                (LDNS_SECTION_ADDITIONAL, additional)] {
            for set in sets {
                for data in set.rrset.records {
                    let rr = LDNSRecord.make(owner: set.owner, dnsClass: set.dnsClass, ttl: set.rrset.ttl, data: data)
                    ldns_pkt_push_rr(packet, section, rr)
                }
            }
        }
        var wire: UnsafeMutablePointer<UInt8>?
        var size = 0
        guard ldns_pkt2wire(&wire, packet, &size) == LDNS_STATUS_OK, let wire else {
            preconditionFailure("ldns could not encode an answer for \(name)")
        }
        defer { free(wire) }
        let bytes = Array(UnsafeBufferPointer(start: wire, count: size))
        let questionEnd = 12 + name.wireLength + 4
        return PreparedAnswer(rcode: rcode, authoritative: true, answerCount: UInt16(answer.count(\.records)),
                              authorityCount: UInt16(authority.count(\.records)),
                              additionalCount: UInt16(additional.count(\.records)),
                              sections: Array(bytes[questionEnd...]))
    }

    /// A negative answer that fits behind any question: the SOA, uncompressed, in the authority section.
    static func negative(rcode: RCode, soa: OwnedRRset) -> PreparedAnswer {
        var sections: [UInt8] = []
        for data in soa.rrset.records {
            let rr = LDNSRecord.make(owner: soa.owner, dnsClass: soa.dnsClass, ttl: soa.rrset.ttl, data: data)
            defer { ldns_rr_free(rr) }
            var wire: UnsafeMutablePointer<UInt8>?
            var size = 0
            guard ldns_rr2wire(&wire, rr, Int32(LDNS_SECTION_AUTHORITY.rawValue), &size) == LDNS_STATUS_OK,
                  let wire else { preconditionFailure("ldns could not encode the SOA") }
            sections += UnsafeBufferPointer(start: wire, count: size)
            free(wire)
        }
        return PreparedAnswer(rcode: rcode, authoritative: true, answerCount: 0,
                              authorityCount: UInt16(soa.rrset.records.count), additionalCount: 0, sections: sections)
    }
}

private extension [OwnedRRset] {
    func count(_ records: KeyPath<RRset, [RecordData]>) -> Int { reduce(0) { $0 + $1.rrset[keyPath: records].count } }
}

extension DomainName {
    /// Length in uncompressed wire form, root label included.
    var wireLength: Int { labels.reduce(1) { $0 + 1 + $1.utf8.count } }

    /// Lowercase uncompressed wire form: the key prepared answers are found by.
    var wireKey: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(wireLength)
        for label in labels {
            bytes.append(UInt8(label.utf8.count))
            bytes += label.utf8.map(WireName.fold)
        }
        bytes.append(0)
        return bytes
    }
}
