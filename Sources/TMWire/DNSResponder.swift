import TMRouting

/// How a query arrived, which bounds the size of its answer.
public enum Transport: Sendable {
    case udp
    case tcp
}

/// What a status source gives for one status name.
public enum StatusAnswer: Sendable {
    /// Encoded ahead (the zone's): the listener only copies it.
    case prepared(PreparedStatus)
    /// One string per TXT record, in order: encoded by whoever asked.
    case lines([String])
    /// Made on another thread, which answers the query itself: a listener writes nothing for it.
    case elsewhere
}

/// Produces status reports (CHAOS TXT of the zone or a profile name). They change with every probe, so a profile's
/// is made when asked for, by a source that runs off the listener threads.
public protocol StatusSource: Sendable {
    func status(for name: DomainName, clientSubnet: IPNetwork?) -> StatusAnswer
}

/// A CH TXT status answer encoded ahead, off the listener threads.
public struct PreparedStatus: Sendable {
    let answer: PreparedAnswer

    /// Nil when there is nothing to report or ldns cannot encode it.
    public init?(name: DomainName, lines: [String]) {
        let answer = DNSResponder.statusAnswer(name: name, lines: lines, type: AnswerTable.typeTXT)
        guard answer.rcode == .noError else { return nil }
        self.answer = answer
    }
}

/// What `DNSResponder.respond(to:into:...)` wrote.
public struct WrittenResponse: Sendable {
    public let length: Int
    /// -1 when the answer hands out no endpoint.
    public let endpointID: Int32
    /// The status source answers this query from another thread (`StatusAnswer.elsewhere`): nothing was written.
    public let isElsewhere: Bool
    /// The question's type; 0 when the question could not be read.
    public let questionType: UInt16

    init(length: Int, endpointID: Int32, questionType: UInt16 = 0) {
        self.length = length
        self.endpointID = endpointID
        self.questionType = questionType
        isElsewhere = false
    }

    private init(elsewhere: Void) {
        length = 0
        endpointID = -1
        questionType = 0
        isElsewhere = true
    }

    static let elsewhere = WrittenResponse(elsewhere: ())
}

/// Turns one query packet into its response bytes: parse, look up the prepared answer, frame it.
public enum DNSResponder {
    /// edgetm's own EDNS UDP payload size: the DNS Flag Day 2020 value that avoids IP fragmentation.
    public static let udpPayloadSize: UInt16 = 1232
    /// The most a response can take (a TCP message): the size of buffer `respond(to:into:...)` needs.
    public static let maxResponseSize = Int(UInt16.max)

    /// Writes the response into `out` (`maxResponseSize` bytes); nil when the packet must be dropped (too short to
    /// have a header, or itself a response). The query path: nothing is allocated for a prepared answer.
    public static func respond(
        to query: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer,
        table: AnswerTable, transport: Transport, client: IPAddress? = nil,
        status: (any StatusSource)? = nil
    ) -> WrittenResponse? {
        respond(
            to: query, parsed: ParsedQuery.parse(query), into: out, table: table, transport: transport,
            client: client, status: status)
    }

    static func respond(
        to query: UnsafeRawBufferPointer, parsed: Result<ParsedQuery, ParsedQuery.Failure>,
        into out: UnsafeMutableRawBufferPointer, table: AnswerTable, transport: Transport,
        client: IPAddress?, status: (any StatusSource)?
    ) -> WrittenResponse? {
        switch parsed {
        case .failure(.drop):
            return nil
        case .failure(.respond(let rcode)):
            return WrittenResponse(length: headerOnly(query: query, rcode: rcode, into: out), endpointID: -1)
        case .success(let parsed):
            var writer = ResponseWriter(query: query, parsed: parsed)
            let limit = sizeLimit(parsed, transport)
            if let edns = parsed.edns, edns.version > 0 {
                return WrittenResponse(
                    length: writer.write(.badVersion, limit: limit, into: out), endpointID: -1,
                    questionType: parsed.type)
            }
            let subnet = parsed.edns?.clientSubnet
            let answer: PreparedAnswer
            let lookup = parsed.withName(in: query) { name in
                table.lookup(
                    name: name, type: parsed.type, dnsClass: parsed.dnsClass,
                    client: { clientQuery(subnet: subnet, source: client, locator: table.locator) })
            }
            switch lookup {
            case .prepared(let prepared):
                answer = prepared
            case .perQuery(let prepared, let scope):
                answer = prepared
                // Never more specific than what the client sent; 0 when the answer did not depend on it. An
                // IPv4-mapped subnet was routed as IPv4: its scope goes back into IPv6 terms.
                let mappedOffset = subnet.map { isIPv4Mapped($0) } == true ? 96 : 0
                writer.ecsScope = UInt8(min(scope.map { $0 + mappedOffset } ?? 0, Int(subnet?.sourcePrefixLength ?? 0)))
            case .status(let name):
                guard let status, let client, table.mayReadStatus(client) else {
                    answer = .refused
                    break
                }
                let network = subnet.flatMap {
                    IPNetwork(address: $0.address, prefixLength: Int($0.sourcePrefixLength))
                }
                switch status.status(for: name, clientSubnet: network) {
                case .prepared(let prepared): answer = prepared.answer
                case .lines(let lines): answer = statusAnswer(name: name, lines: lines, type: parsed.type)
                case .elsewhere: return .elsewhere
                }
            }
            return WrittenResponse(
                length: writer.write(answer, limit: limit, into: out), endpointID: answer.endpointID,
                questionType: parsed.type)
        }
    }

    /// Whom to route for: the ECS subnet when the query has one with a non-zero source prefix (ECS is used for
    /// nothing else), else the address the query came from.
    static func clientQuery(subnet: ParsedQuery.ClientSubnet?, source: IPAddress?, locator: ClientLocator)
        -> ClientQuery
    {
        if let subnet, subnet.sourcePrefixLength > 0 {
            // An IPv4-mapped IPv6 subnet is the IPv4 client it maps, for the subnet map and ranges as for databases.
            if isIPv4Mapped(subnet), case .v6(let v6) = subnet.address {
                return ClientQuery(
                    address: .v4(IPv4Address(UInt32(truncatingIfNeeded: v6.low))), origin: .ecs,
                    sourcePrefixLength: Int(subnet.sourcePrefixLength) - 96, locator: locator)
            }
            return ClientQuery(
                address: subnet.address, origin: .ecs, sourcePrefixLength: Int(subnet.sourcePrefixLength),
                locator: locator)
        }
        let address = source ?? .v4(IPv4Address(0))
        let full = if case .v4 = address { 32 } else { 128 }
        return ClientQuery(address: address, origin: .resolver, sourcePrefixLength: full, locator: locator)
    }

    static func isIPv4Mapped(_ subnet: ParsedQuery.ClientSubnet) -> Bool {
        guard case .v6(let v6) = subnet.address, subnet.sourcePrefixLength >= 96 else { return false }
        return v6.high == 0 && v6.low >> 32 == 0xffff
    }

    /// Encoded when asked for: a profile's status is not prepared ahead, and is asked for rarely. REFUSED when
    /// there is nothing to report or ldns cannot encode it.
    /// The question's type only fills the question ldns encodes behind; the sections fit TXT and ANY questions alike.
    static func statusAnswer(name: DomainName, lines: [String], type: UInt16) -> PreparedAnswer {
        guard !lines.isEmpty else { return .refused }
        // Encoded for the lowercase name; compression pointers to the question stay valid whatever its case.
        let records = lines.map { RecordData.txt([String(decoding: $0.utf8.prefix(255), as: UTF8.self)]) }
        let answer = try? AnswerEncoder.answer(
            name: name, type: type, dnsClass: .chaos,
            answer: [
                OwnedRRset(owner: name, dnsClass: .chaos, rrset: RRset(ttl: 0, records: records))
            ])
        return answer ?? .refused
    }

    /// RFC 6891: a UDP answer may use the client's advertised size, never less than 512, capped at ours.
    static func sizeLimit(_ query: ParsedQuery, _ transport: Transport) -> Int {
        switch transport {
        case .tcp: return Int(UInt16.max)
        case .udp:
            guard let edns = query.edns else { return 512 }
            return Int(min(max(edns.udpPayloadSize, 512), udpPayloadSize))
        }
    }

    /// For queries whose question could not be read: the ID, opcode and RD echoed, no sections.
    static func headerOnly(query: UnsafeRawBufferPointer, rcode: RCode, into out: UnsafeMutableRawBufferPointer) -> Int
    {
        var cursor = WireCursor(out)
        cursor.put(query[0])
        cursor.put(query[1])
        cursor.put(0x80 | (query[2] & 0x79))
        cursor.put(UInt8(rcode.rawValue & 0x0f))
        for _ in 0..<8 { cursor.put(0) }
        return cursor.offset
    }
}
