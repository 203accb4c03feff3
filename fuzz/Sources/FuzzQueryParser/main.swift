import CFuzzerDriver
import Glibc
import TMRouting

@testable import TMWire

/// A small zone with answers of every kind (A, AAAA, CNAME, SOA/NS at the apex, NXDOMAIN), so that whichever name
/// the fuzzer reaches, a prepared answer is framed with the parsed EDNS state.
private let table: AnswerTable = {
    let apex = DomainName("tm.example.")!
    let targets = [("v4", ["127.0.0.11", "127.0.0.12"]), ("v6", ["2001:db8::10"]), ("cname", ["origin.example.net"])]
    var endpointCount = 0
    let profiles = targets.map { label, addresses in
        // Endpoint ids are numbered across all profiles, as the config loader numbers them.
        let endpoints = addresses.enumerated().map { priority, address in
            defer { endpointCount += 1 }
            return Endpoint(
                id: endpointCount, name: "e\(endpointCount)", target: EndpointTarget(address)!, isEnabled: true,
                priority: priority + 1)
        }
        return Profile(
            name: label, fqdn: apex.prepending(label), isEnabled: true, method: .priority, ttl: 30,
            monitor: MonitorConfig(), endpoints: endpoints)
    }
    let server = DomainName("ns1.tm.example.")!
    let soa = ZoneConfig.SOA(
        mname: server, rname: DomainName("hostmaster.tm.example.")!, refresh: 3600, retry: 600, expire: 86400,
        minimum: 30, ttl: 3600)
    let zone = ZoneConfig(
        apex: apex, soa: soa, nameservers: [server],
        addresses: [(server, [EndpointTarget("127.0.0.1")!, EndpointTarget("::1")!])])
    let routing = RoutingTable(profiles: ProfileSet(profiles), health: HealthVector(endpointCount: endpointCount))
    // A literal zone that must encode: a failure is a bug here, and the crash at start names it.
    // swift-format-ignore: NeverUseForceTry
    return try! AnswerTable(
        zone: zone, routing: routing, serial: 2026120101,
        identity: ServerIdentity(version: "edgetm fuzz", hostname: "fuzz"))
}()

// libFuzzer runs one input at a time on one thread; a 64 KiB buffer per input would dominate the run.
nonisolated(unsafe) private var out = [UInt8](repeating: 0, count: DNSResponder.maxResponseSize)

/// The response bytes for one parse, nil when the query is dropped.
private func respond(_ packet: UnsafeRawBufferPointer, _ parsed: Result<ParsedQuery, ParsedQuery.Failure>)
    -> [UInt8]?
{
    let written = out.withUnsafeMutableBytes {
        DNSResponder.respond(
            to: packet, parsed: parsed, into: $0, table: table, transport: .tcp(keepaliveTimeout: 100), client: nil,
            status: nil)
    }
    return written.map { Array(out[0..<$0.length]) }
}

/// One input: whatever the in-place parser accepts, ldns must answer with the same bytes (the check of
/// ParserEquivalenceTests on arbitrary packets); either path must never crash, whatever it is given.
private func fuzzQueryParser(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let packet = UnsafeRawBufferPointer(start: count == 0 ? nil : start, count: count)
    let ldns = respond(packet, ParsedQuery.parseWithLDNS(packet))
    if let fast = ParsedQuery.parseCommon(packet) {
        let fastBytes = respond(packet, fast)
        if fastBytes != ldns {
            fatalError(
                "the parsers disagree: fast \(fastBytes.map { "\($0)" } ?? "drop"), ldns \(ldns.map { "\($0)" } ?? "drop")"
            )
        }
    }
    return 0
}

var arguments = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&arguments, &argv) { fuzzQueryParser($0, $1) })
