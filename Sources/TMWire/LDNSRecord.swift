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
    static func make(owner: DomainName, dnsClass: DNSClass, ttl: UInt32,
                     data: RecordData) -> UnsafeMutablePointer<ldns_rr> {
        let rr = ldns_rr_new()!
        ldns_rr_set_owner(rr, dname(owner))
        ldns_rr_set_ttl(rr, ttl)
        ldns_rr_set_class(rr, ldns_rr_class(rawValue: UInt32(dnsClass.rawValue)))
        ldns_rr_set_type(rr, ldns_rr_type(rawValue: UInt32(data.type.rawValue)))
        for field in fields(of: data) { ldns_rr_push_rdf(rr, field) }
        return rr
    }

    static func dname(_ name: DomainName) -> UnsafeMutablePointer<ldns_rdf> {
        // Lowercase, so that compression matches the lowercase question the templates are built with.
        name.key.withCString { ldns_dname_new_frm_str($0)! }
    }

    private static func fields(of data: RecordData) -> [UnsafeMutablePointer<ldns_rdf>] {
        switch data {
        case .a(let address):
            return [bytes(LDNS_RDF_TYPE_A, address.bytes)]
        case .aaaa(let address):
            return [bytes(LDNS_RDF_TYPE_AAAA, address.bytes)]
        case .cname(let name), .ns(let name):
            return [dname(name)]
        case .soa(let soa, let serial):
            return [dname(soa.mname), dname(soa.rname)]
                + [serial, soa.refresh, soa.retry, soa.expire, soa.minimum].map {
                    ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, $0)!
                }
        case .txt(let strings):
            return strings.map { text in
                let utf8 = Array(text.utf8.prefix(255))
                return bytes(LDNS_RDF_TYPE_STR, [UInt8(utf8.count)] + utf8)
            }
        }
    }

    private static func bytes(_ type: ldns_rdf_type, _ data: [UInt8]) -> UnsafeMutablePointer<ldns_rdf> {
        data.withUnsafeBytes { ldns_rdf_new_frm_data(type, $0.count, $0.baseAddress)! }
    }
}
