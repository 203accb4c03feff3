internal import CLDNS
import TMRouting

/// One record set to place in a section.
struct OwnedRRset {
    let owner: DomainName
    let dnsClass: DNSClass
    let rrset: RRset
}

/// ldns could not build or encode an answer: the configuration (or health change) that needed it is not served.
public struct AnswerEncodingError: Error, CustomStringConvertible {
    public let description: String

    init(_ what: String, _ name: DomainName, status: String? = nil) {
        description = "cannot encode \(what) for \(name)" + (status.map { ": \($0)" } ?? "")
    }
}

/// Encodes prepared answers with ldns, the one source of truth for the wire format.
enum AnswerEncoder {
    /// A positive or NODATA answer for `name`, compressed against a question for `name`.
    static func answer(
        name: DomainName, type: UInt16, dnsClass: DNSClass, rcode: RCode = .noError,
        answer: [OwnedRRset], authority: [OwnedRRset] = [],
        additional: [OwnedRRset] = []
    ) throws(AnswerEncodingError) -> PreparedAnswer {
        let question = try LDNSRecord.dname(name)
        guard
            let packet = ldns_pkt_query_new(
                question, ldns_rr_type(rawValue: UInt32(type)),
                ldns_rr_class(rawValue: UInt32(dnsClass.rawValue)), 0)
        else {
            ldns_rdf_deep_free(question)
            throw AnswerEncodingError("a packet", name)
        }
        defer { ldns_pkt_free(packet) }
        for (section, sets) in [
            (LDNS_SECTION_ANSWER, answer), (LDNS_SECTION_AUTHORITY, authority), (LDNS_SECTION_ADDITIONAL, additional),
        ] {
            for set in sets {
                for data in set.rrset.records {
                    let rr = try LDNSRecord.make(
                        owner: set.owner, dnsClass: set.dnsClass, ttl: set.rrset.ttl,
                        data: data)
                    guard ldns_pkt_push_rr(packet, section, rr) else {
                        ldns_rr_free(rr)
                        throw AnswerEncodingError("a record", set.owner)
                    }
                }
            }
        }
        var wire: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = ldns_pkt2wire(&wire, packet, &size)
        guard status == LDNS_STATUS_OK, let wire else {
            throw AnswerEncodingError("an answer", name, status: String(cString: ldns_get_errorstr_by_id(status)))
        }
        defer { free(wire) }
        let bytes = Array(UnsafeBufferPointer(start: wire, count: size))
        let questionEnd = 12 + name.wireLength + 4
        return PreparedAnswer(
            rcode: rcode, authoritative: true, answerCount: UInt16(answer.count(\.records)),
            authorityCount: UInt16(authority.count(\.records)),
            additionalCount: UInt16(additional.count(\.records)),
            sections: Array(bytes[questionEnd...]))
    }

    /// A negative answer that fits behind any question name at or below the SOA owner (the apex): encoded by ldns
    /// behind a question for the apex, so that the SOA's names are compressed against it, and relocated per query.
    static func negative(rcode: RCode, soa: OwnedRRset) throws(AnswerEncodingError) -> PreparedAnswer {
        var prepared = try answer(
            name: soa.owner, type: RecordType.soa.rawValue, dnsClass: soa.dnsClass, rcode: rcode,
            answer: [], authority: [soa])
        prepared.relocations = compressionPointers(in: prepared.sections, records: soa.rrset.records.count)
        prepared.preparedNameLength = soa.owner.wireLength
        return prepared
    }

    /// Offsets of the compression pointers in `sections`: in owner names, and in the names of SOA data (the only
    /// record type a negative answer holds).
    static func compressionPointers(in sections: [UInt8], records: Int) -> [UInt16] {
        var pointers: [UInt16] = []
        var offset = 0
        func skipName() {
            while offset < sections.count {
                let length = sections[offset]
                if length & 0xc0 == 0xc0 {
                    pointers.append(UInt16(offset))
                    offset += 2
                    return
                }
                offset += 1 + Int(length)
                if length == 0 { return }
            }
        }
        for _ in 0..<records {
            skipName()
            let type = UInt16(sections[offset]) << 8 | UInt16(sections[offset + 1])
            let end = offset + 10 + (Int(sections[offset + 8]) << 8 | Int(sections[offset + 9]))
            offset += 10
            if type == RecordType.soa.rawValue {
                skipName()
                skipName()
            }
            offset = end
        }
        return pointers
    }
}

extension [OwnedRRset] {
    fileprivate func count(_ records: KeyPath<RRset, [RecordData]>) -> Int {
        reduce(0) { $0 + $1.rrset[keyPath: records].count }
    }
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
