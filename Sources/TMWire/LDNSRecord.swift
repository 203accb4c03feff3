internal import CLDNS
import TMRouting

/// DNS classes edgetm answers in.
enum DNSClass: UInt16 {
    case internet = 1
    case chaos = 3
}

/// Builds ldns records from Swift record data. Every function returns memory the caller owns.
enum LDNSRecord {
    /// A new ldns record; hand it to a packet (which takes ownership) or free it with `ldns_rr_free`.
    static func make(
        owner: DomainName, dnsClass: DNSClass, ttl: UInt32,
        data: RecordData
    ) throws(AnswerEncodingError) -> UnsafeMutablePointer<ldns_rr> {
        guard let rr = ldns_rr_new() else { throw AnswerEncodingError("a record", owner) }
        do throws(AnswerEncodingError) {
            ldns_rr_set_owner(rr, try dname(owner))
            ldns_rr_set_ttl(rr, ttl)
            ldns_rr_set_class(rr, ldns_rr_class(rawValue: UInt32(dnsClass.rawValue)))
            ldns_rr_set_type(rr, ldns_rr_type(rawValue: UInt32(data.type.rawValue)))
            for field in try fields(of: data, owner: owner) {
                guard ldns_rr_push_rdf(rr, field) else {
                    ldns_rdf_deep_free(field)
                    throw AnswerEncodingError("record data", owner)
                }
            }
        } catch {
            ldns_rr_free(rr)
            throw error
        }
        return rr
    }

    static func dname(_ name: DomainName) throws(AnswerEncodingError) -> UnsafeMutablePointer<ldns_rdf> {
        // Lowercase, so that compression matches the lowercase question the templates are built with.
        guard let rdf = name.key.withCString({ ldns_dname_new_frm_str($0) }) else {
            throw AnswerEncodingError("the name", name)
        }
        return rdf
    }

    /// The fields in order; on a failure, the ones already made are freed.
    private static func fields(of data: RecordData, owner: DomainName) throws(AnswerEncodingError)
        -> [UnsafeMutablePointer<ldns_rdf>]
    {
        var made: [UnsafeMutablePointer<ldns_rdf>] = []
        func add(_ field: UnsafeMutablePointer<ldns_rdf>?) throws(AnswerEncodingError) {
            guard let field else { throw AnswerEncodingError("record data", owner) }
            made.append(field)
        }
        do throws(AnswerEncodingError) {
            switch data {
            case .a(let address):
                try add(bytes(LDNS_RDF_TYPE_A, address.bytes))
            case .aaaa(let address):
                try add(bytes(LDNS_RDF_TYPE_AAAA, address.bytes))
            case .cname(let name), .ns(let name):
                try add(try dname(name))
            case .soa(let soa, let serial):
                try add(try dname(soa.mname))
                try add(try dname(soa.rname))
                for value in [serial, soa.refresh, soa.retry, soa.expire, soa.minimum] {
                    try add(ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, value))
                }
            case .txt(let strings):
                for text in strings {
                    let utf8 = Array(text.utf8.prefix(255))
                    try add(bytes(LDNS_RDF_TYPE_STR, [UInt8(utf8.count)] + utf8))
                }
            }
        } catch {
            for field in made { ldns_rdf_deep_free(field) }
            throw error
        }
        return made
    }

    private static func bytes(_ type: ldns_rdf_type, _ data: [UInt8]) -> UnsafeMutablePointer<ldns_rdf>? {
        data.withUnsafeBytes { ldns_rdf_new_frm_data(type, $0.count, $0.baseAddress) }
    }
}
