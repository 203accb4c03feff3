internal import CLDNS
import TMRouting

/// The parts of a query that decide its answer, copied out of ldns's packet.
struct ParsedQuery {
    struct EDNS {
        let udpPayloadSize: UInt16
        let version: UInt8
        let dnssecOK: Bool
        let clientSubnet: ClientSubnet?
        let cookie: CookieField
        /// The query carries edns-tcp-keepalive (RFC 7828): over TCP, the answer tells the idle timeout.
        var asksKeepalive = false
    }

    /// The COOKIE option as found. Whether a malformed one matters depends on whether cookies are on, which the
    /// responder knows: a server without cookies ignores the option, as RFC 7873 §5.2 says.
    enum CookieField: Equatable {
        case absent
        case malformed
        case present(QueryCookie)
    }

    /// An EDNS Client Subnet option (RFC 7871) as sent.
    struct ClientSubnet {
        let family: UInt16
        let sourcePrefixLength: UInt8
        /// The address with the bits beyond the source prefix zero.
        let address: IPAddress

        /// How many address bytes go on the wire: only as many as the prefix needs.
        var addressLength: Int { (Int(sourcePrefixLength) + 7) / 8 }
    }

    /// Where the question name is, as sent (original case, uncompressed wire form).
    enum Name {
        /// In the query packet itself: the fast path copies nothing.
        case inPacket(Range<Int>)
        /// Copied out of ldns's parse (the question may have been compressed).
        case copied([UInt8])
    }

    let name: Name
    let type: UInt16
    let dnsClass: UInt16
    let edns: EDNS?
    /// False only for the query of RFC 7873 §5.4, which asks for a server cookie with no question at all.
    var hasQuestion = true

    enum Failure: Error {
        /// Not a DNS message at all, or a response: no answer is sent.
        case drop
        /// A header could be read, so an error code can be answered.
        case respond(RCode)
    }

    /// Reads a query: the common shape without ldns, anything else with it.
    static func parse(_ packet: UnsafeRawBufferPointer) -> Result<ParsedQuery, Failure> {
        parseCommon(packet) ?? parseWithLDNS(packet)
    }

    /// The shape nearly every query has (one uncompressed question, nothing else but perhaps an OPT record, no
    /// trailing bytes), read in place. Nil for anything else, which goes to ldns, the one full parser; the wire tests
    /// check that both give byte-identical answers for the same queries.
    static func parseCommon(_ packet: UnsafeRawBufferPointer) -> Result<ParsedQuery, Failure>? {
        let count = packet.count
        guard count >= 17, packet[2] & 0xf8 == 0 else { return nil }
        func word(_ at: Int) -> Int { Int(packet[at]) << 8 | Int(packet[at + 1]) }
        guard word(4) == 1, word(6) == 0, word(8) == 0, word(10) <= 1 else { return nil }
        var offset = 12
        while true {
            guard offset < count else { return nil }
            let length = Int(packet[offset])
            offset += 1
            if length == 0 { break }
            guard length < 64, offset - 12 + length < 255 else { return nil }
            offset += length
        }
        let nameEnd = offset
        guard nameEnd + 4 <= count else { return nil }
        let type = UInt16(word(nameEnd))
        let dnsClass = UInt16(word(nameEnd + 2))
        offset = nameEnd + 4
        var edns: EDNS?
        if word(10) == 1 {
            guard offset + 11 <= count, packet[offset] == 0, word(offset + 1) == 41 else { return nil }
            let length = word(offset + 9)
            guard offset + 11 + length == count else { return nil }
            let options = UnsafeRawBufferPointer(rebasing: packet[(offset + 11)..<count])
            guard case .valid(let subnet, let cookie, let keepalive) = scanOptions(options) else {
                return .failure(.respond(.formErr))
            }
            edns = EDNS(
                udpPayloadSize: UInt16(word(offset + 3)), version: packet[offset + 6],
                dnssecOK: packet[offset + 7] & 0x80 != 0, clientSubnet: subnet, cookie: cookie,
                asksKeepalive: keepalive)
        } else if offset != count {
            return nil
        }
        return .success(ParsedQuery(name: .inPacket(12..<nameEnd), type: type, dnsClass: dnsClass, edns: edns))
    }

    /// Reads a query with ldns. The header checks come first, so that responses and odd opcodes never reach ldns;
    /// then `StrictParsing`, so that what ldns is lenient about is FORMERR.
    static func parseWithLDNS(_ packet: UnsafeRawBufferPointer) -> Result<ParsedQuery, Failure> {
        guard packet.count >= 12 else { return .failure(.drop) }
        if packet[2] & 0x80 != 0 { return .failure(.drop) }
        if packet[2] >> 3 & 0x0f != 0 { return .failure(.respond(.notImplemented)) }
        // What ldns would accept but RFC 6891 and RFC 1035 do not; the fast path never takes these shapes.
        if StrictParsing.violation(in: packet) != nil { return .failure(.respond(.formErr)) }
        var parsed: UnsafeMutablePointer<ldns_pkt>?
        let status = ldns_wire2pkt(&parsed, packet.baseAddress!.assumingMemoryBound(to: UInt8.self), packet.count)
        guard status == LDNS_STATUS_OK, let parsed else { return .failure(.respond(.formErr)) }
        defer { ldns_pkt_free(parsed) }
        var edns: EDNS?
        if ldns_pkt_edns(parsed) {
            var subnet: ClientSubnet?
            var cookie = CookieField.absent
            var keepalive = false
            if let data = ldns_pkt_edns_data(parsed) {
                let options = UnsafeRawBufferPointer(start: ldns_rdf_data(data), count: ldns_rdf_size(data))
                guard case .valid(let found, let foundCookie, let asks) = Self.scanOptions(options) else {
                    return .failure(.respond(.formErr))
                }
                subnet = found
                cookie = foundCookie
                keepalive = asks
            }
            edns = EDNS(
                udpPayloadSize: ldns_pkt_edns_udp_size(parsed), version: ldns_pkt_edns_version(parsed),
                dnssecOK: ldns_pkt_edns_do(parsed), clientSubnet: subnet, cookie: cookie, asksKeepalive: keepalive)
        }
        // RFC 7873 §5.4: no question, only a COOKIE option. Whether that is answered depends on cookies being on.
        if ldns_pkt_qdcount(parsed) == 0, let edns, edns.cookie != .absent {
            return .success(ParsedQuery(name: .copied([]), type: 0, dnsClass: 0, edns: edns, hasQuestion: false))
        }
        guard ldns_pkt_qdcount(parsed) == 1, let question = ldns_rr_list_rr(ldns_pkt_question(parsed), 0),
            let owner = ldns_rr_owner(question)
        else { return .failure(.respond(.formErr)) }
        let name = Array(UnsafeBufferPointer(start: ldns_rdf_data(owner), count: ldns_rdf_size(owner)))
        return .success(
            ParsedQuery(
                name: .copied(name), type: UInt16(ldns_rr_get_type(question).rawValue),
                dnsClass: UInt16(ldns_rr_get_class(question).rawValue), edns: edns))
    }

    enum OptionScan {
        /// A FORMERR.
        case malformed
        /// The ECS option, if there is one, the COOKIE option, and whether edns-tcp-keepalive is there.
        case valid(ClientSubnet?, CookieField, keepalive: Bool)
    }

    /// Walks the OPT options. Options other than ECS, COOKIE and edns-tcp-keepalive are ignored, as RFC 6891 asks;
    /// of several COOKIE options the first counts (RFC 7873 leaves more than one open; the client's own is the first
    /// it wrote); a keepalive option's TIMEOUT, which a client must not send (RFC 7828 §3.2.1), is ignored too.
    static func scanOptions(_ options: UnsafeRawBufferPointer) -> OptionScan {
        var offset = 0
        var subnet: ClientSubnet?
        var cookie = CookieField.absent
        var keepalive = false
        while offset < options.count {
            guard options.count - offset >= 4 else { return .malformed }
            let code = UInt16(options[offset]) << 8 | UInt16(options[offset + 1])
            let length = Int(options[offset + 2]) << 8 | Int(options[offset + 3])
            offset += 4
            guard options.count - offset >= length else { return .malformed }
            if code == 8 {
                guard subnet == nil,
                    let parsed = parseSubnet(UnsafeRawBufferPointer(rebasing: options[offset..<offset + length]))
                else { return .malformed }
                subnet = parsed
            } else if code == 10, cookie == .absent {
                cookie =
                    QueryCookie(UnsafeRawBufferPointer(rebasing: options[offset..<offset + length]))
                    .map(CookieField.present) ?? .malformed
            } else if code == 11 {
                keepalive = true
            }
            offset += length
        }
        return .valid(subnet, cookie, keepalive: keepalive)
    }

    /// RFC 7871 §6: a wrong family, a prefix too long, an address of the wrong length or with bits set beyond the
    /// prefix, or a non-zero scope in a query, are all FORMERR.
    static func parseSubnet(_ data: UnsafeRawBufferPointer) -> ClientSubnet? {
        guard data.count >= 4 else { return nil }
        let family = UInt16(data[0]) << 8 | UInt16(data[1])
        let source = data[2]
        guard data[3] == 0 else { return nil }
        let width = family == 1 ? 4 : family == 2 ? 16 : 0
        guard width > 0, Int(source) <= width * 8, data.count - 4 == (Int(source) + 7) / 8 else { return nil }
        // Read as two big-endian words (one for IPv4), the bytes beyond the prefix being zero.
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<width {
            let byte = index < data.count - 4 ? UInt64(data[4 + index]) : 0
            if index < 8 { high = high << 8 | byte } else { low = low << 8 | byte }
        }
        let address: IPAddress =
            width == 4
            ? .v4(IPv4Address(UInt32(truncatingIfNeeded: high)))
            : .v6(IPv6Address(high: high, low: low))
        guard address.truncated(to: Int(source)) == address else { return nil }
        return ClientSubnet(family: family, sourcePrefixLength: source, address: address)
    }

    /// The question name's bytes, from `packet` (the query this was parsed from) or the copy.
    @inline(__always)
    func withName<Result>(in packet: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        switch name {
        case .inPacket(let range): body(UnsafeRawBufferPointer(rebasing: packet[range]))
        case .copied(let bytes): bytes.withUnsafeBytes(body)
        }
    }
}
