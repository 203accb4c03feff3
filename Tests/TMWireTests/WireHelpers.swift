import CLDNS
import Foundation
import TMRouting
import TMWire

/// Builds query packets by hand, so tests control every bit, including malformed ones.
enum QueryBuilder {
    struct EDNS {
        var size: UInt16 = 1232
        var version: UInt8 = 0
        var dnssecOK = false
    }

    static func make(
        _ name: String, type: UInt16, dnsClass: UInt16 = 1, id: UInt16 = 0xbeef, rd: Bool = false,
        cd: Bool = false, edns: EDNS? = nil
    ) -> [UInt8] {
        var packet: [UInt8] = [
            UInt8(id >> 8), UInt8(id & 0xff), rd ? 0x01 : 0x00, cd ? 0x10 : 0x00,
            0, 1, 0, 0, 0, 0, 0, edns == nil ? 0 : 1,
        ]
        for label in name.split(separator: ".") {
            packet.append(UInt8(label.utf8.count))
            packet += label.utf8
        }
        packet += [0, UInt8(type >> 8), UInt8(type & 0xff), UInt8(dnsClass >> 8), UInt8(dnsClass & 0xff)]
        if let edns {
            packet += [
                0, 0, 41, UInt8(edns.size >> 8), UInt8(edns.size & 0xff), 0, edns.version,
                edns.dnssecOK ? 0x80 : 0, 0, 0, 0,
            ]
        }
        return packet
    }
}

/// A response read back with ldns, records as ldns prints them (`owner\tttl\tclass\ttype\trdata`).
struct ParsedResponse {
    let bytes: [UInt8]
    let rcode: UInt8
    let aa: Bool
    let tc: Bool
    let rd: Bool
    let ra: Bool
    let cd: Bool
    let question: String
    let answer: [String]
    let authority: [String]
    let additional: [String]
    let ednsSize: UInt16?

    init?(_ bytes: [UInt8]) {
        var packet: UnsafeMutablePointer<ldns_pkt>?
        guard ldns_wire2pkt(&packet, bytes, bytes.count) == LDNS_STATUS_OK, let packet else { return nil }
        defer { ldns_pkt_free(packet) }
        self.bytes = bytes
        rcode = UInt8(bytes[3] & 0x0f)
        aa = ldns_pkt_aa(packet)
        tc = ldns_pkt_tc(packet)
        rd = ldns_pkt_rd(packet)
        ra = ldns_pkt_ra(packet)
        cd = ldns_pkt_cd(packet)
        question = Self.records(ldns_pkt_question(packet)).first ?? ""
        answer = Self.records(ldns_pkt_answer(packet))
        authority = Self.records(ldns_pkt_authority(packet))
        additional = Self.records(ldns_pkt_additional(packet))
        ednsSize = ldns_pkt_edns(packet) ? ldns_pkt_edns_udp_size(packet) : nil
    }

    private static func records(_ list: UnsafeMutablePointer<ldns_rr_list>?) -> [String] {
        guard let list else { return [] }
        return (0..<ldns_rr_list_rr_count(list)).map { index in
            let text = ldns_rr2str(ldns_rr_list_rr(list, index))!
            defer { free(text) }
            return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}

/// The zone the wire tests answer from: one profile per target kind, plus disabled cases.
enum TestZone {
    static let apex = DomainName("tm.example.")!

    static func endpoint(_ id: Int, _ target: String, enabled: Bool = true, priority: Int) -> Endpoint {
        Endpoint(id: id, name: "e\(id)", target: EndpointTarget(target)!, isEnabled: enabled, priority: priority)
    }

    static func profile(_ label: String, enabled: Bool = true, _ endpoints: [Endpoint]) -> Profile {
        Profile(
            name: label, fqdn: apex.prepending(label), isEnabled: enabled, method: .priority, ttl: 30,
            monitor: MonitorConfig(), endpoints: endpoints)
    }

    static let profiles = [
        profile("v4", [endpoint(0, "127.0.0.11", priority: 1), endpoint(1, "127.0.0.12", priority: 2)]),
        profile("v6", [endpoint(2, "2001:db8::10", priority: 1)]),
        profile("cname", [endpoint(3, "origin.example.net", priority: 1)]),
        profile(
            "skip", [endpoint(4, "127.0.0.21", enabled: false, priority: 1), endpoint(5, "127.0.0.22", priority: 2)]),
        profile("off", enabled: false, [endpoint(6, "127.0.0.31", priority: 1)]),
        profile("none", [endpoint(7, "127.0.0.41", enabled: false, priority: 1)]),
    ]

    static func zone(nameservers: Int = 1) -> ZoneConfig {
        let soa = ZoneConfig.SOA(
            mname: DomainName("ns1.tm.example.")!, rname: DomainName("hostmaster.tm.example.")!,
            refresh: 3600, retry: 600, expire: 86400, minimum: 30, ttl: 3600)
        let servers = (1...nameservers).map { DomainName("ns\($0).tm.example.")! }
        var addresses: [(name: DomainName, targets: [EndpointTarget])] = servers.map {
            ($0, [EndpointTarget("127.0.0.1")!, EndpointTarget("::1")!])
        }
        addresses.append((DomainName("host.sub.tm.example.")!, [EndpointTarget("192.0.2.7")!]))
        return ZoneConfig(apex: apex, soa: soa, nameservers: servers, addresses: addresses)
    }

    static let identity = ServerIdentity(version: "edgetm 9.9", hostname: "edge-1")

    static func table(nameservers: Int = 1, health: HealthVector = HealthVector(endpointCount: 8)) -> AnswerTable {
        let routing = RoutingTable(profiles: ProfileSet(profiles), health: health)
        // The zone is a literal that encodes: a failure is a bug in the test, and the crash names it.
        // swift-format-ignore: NeverUseForceTry
        return try! AnswerTable(
            zone: zone(nameservers: nameservers), routing: routing, serial: 2026112701,
            identity: identity)
    }

    /// The response bytes, or nil when the query is dropped.
    static func respond(_ query: [UInt8], _ table: AnswerTable, transport: Transport = .udp) -> [UInt8]? {
        query.withUnsafeBytes { packet in
            var out = [UInt8](repeating: 0, count: DNSResponder.maxResponseSize)
            let written = out.withUnsafeMutableBytes {
                DNSResponder.respond(to: packet, into: $0, table: table, transport: transport)
            }
            return written.map { Array(out[0..<$0.length]) }
        }
    }

    static func ask(_ table: AnswerTable, _ query: [UInt8], transport: Transport = .udp) -> ParsedResponse? {
        respond(query, table, transport: transport).flatMap(ParsedResponse.init)
    }
}
