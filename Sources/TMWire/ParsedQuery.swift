internal import CLDNS

/// The parts of a query that decide its answer, copied out of ldns's packet.
struct ParsedQuery {
    struct EDNS {
        let udpPayloadSize: UInt16
        let version: UInt8
        let dnssecOK: Bool
    }

    /// The question name as sent (original case), uncompressed wire form.
    let name: [UInt8]
    let type: UInt16
    let dnsClass: UInt16
    let edns: EDNS?

    enum Failure: Error {
        /// Not a DNS message at all, or a response: no answer is sent.
        case drop
        /// A header could be read, so an error code can be answered.
        case respond(RCode)
    }

    /// Reads a query with ldns. The header checks come first, so that responses and odd opcodes never reach ldns.
    static func parse(_ packet: UnsafeRawBufferPointer) -> Result<ParsedQuery, Failure> {
        guard packet.count >= 12 else { return .failure(.drop) }
        if packet[2] & 0x80 != 0 { return .failure(.drop) }
        if packet[2] >> 3 & 0x0f != 0 { return .failure(.respond(.notImplemented)) }
        var parsed: UnsafeMutablePointer<ldns_pkt>?
        let status = ldns_wire2pkt(&parsed, packet.baseAddress!.assumingMemoryBound(to: UInt8.self), packet.count)
        guard status == LDNS_STATUS_OK, let parsed else { return .failure(.respond(.formErr)) }
        defer { ldns_pkt_free(parsed) }
        guard ldns_pkt_qdcount(parsed) == 1, let question = ldns_rr_list_rr(ldns_pkt_question(parsed), 0),
              let owner = ldns_rr_owner(question) else { return .failure(.respond(.formErr)) }
        let name = Array(UnsafeBufferPointer(start: ldns_rdf_data(owner), count: ldns_rdf_size(owner)))
        let edns = ldns_pkt_edns(parsed) ? EDNS(udpPayloadSize: ldns_pkt_edns_udp_size(parsed),
                                                version: ldns_pkt_edns_version(parsed),
                                                dnssecOK: ldns_pkt_edns_do(parsed)) : nil
        return .success(ParsedQuery(name: name, type: UInt16(ldns_rr_get_type(question).rawValue),
                                    dnsClass: UInt16(ldns_rr_get_class(question).rawValue), edns: edns))
    }

    /// The name lowercased, as answers are keyed.
    var nameKey: [UInt8] {
        name.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 | 0x20 : $0 }
    }
}
