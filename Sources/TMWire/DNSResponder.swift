/// How a query arrived, which bounds the size of its answer.
public enum Transport: Sendable {
    case udp
    case tcp
}

/// Turns one query packet into its response bytes: parse, look up the prepared answer, frame it.
public enum DNSResponder {
    /// edgetm's own EDNS UDP payload size: the DNS Flag Day 2020 value that avoids IP fragmentation.
    public static let udpPayloadSize: UInt16 = 1232

    /// The response, or nil when the packet must be dropped (too short to have a header, or itself a response).
    public static func respond(to query: UnsafeRawBufferPointer, table: AnswerTable, transport: Transport) -> [UInt8]? {
        switch ParsedQuery.parse(query) {
        case .failure(.drop):
            return nil
        case .failure(.respond(let rcode)):
            return headerOnly(query: query, rcode: rcode)
        case .success(let parsed):
            if let edns = parsed.edns, edns.version > 0 {
                return ResponseWriter(query: query, parsed: parsed).write(.badVersion, limit: Int(UInt16.max))
            }
            let answer = table.lookup(nameKey: parsed.nameKey, type: parsed.type, dnsClass: parsed.dnsClass)
            return ResponseWriter(query: query, parsed: parsed).write(answer, limit: sizeLimit(parsed, transport))
        }
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
    static func headerOnly(query: UnsafeRawBufferPointer, rcode: RCode) -> [UInt8] {
        [query[0], query[1], 0x80 | (query[2] & 0x79), UInt8(rcode.rawValue & 0x0f), 0, 0, 0, 0, 0, 0, 0, 0]
    }
}

/// Frames a prepared answer behind the query's ID, flags and question.
struct ResponseWriter {
    let query: UnsafeRawBufferPointer
    let parsed: ParsedQuery

    func write(_ answer: PreparedAnswer, limit: Int) -> [UInt8] {
        let optLength = parsed.edns == nil ? 0 : 11
        let questionLength = parsed.name.count + 4
        let fullLength = 12 + questionLength + answer.sections.count + optLength
        let truncated = fullLength > limit
        var out: [UInt8] = []
        out.reserveCapacity(truncated ? 12 + questionLength + optLength : fullLength)
        let aa: UInt8 = answer.authoritative ? 0x04 : 0
        let tc: UInt8 = truncated ? 0x02 : 0
        // QR, AA and TC ours; RD and CD copied (RFC 1035, 4035); RA clear: no recursion here.
        out += [query[0], query[1], 0x80 | aa | tc | (query[2] & 0x01),
                (query[3] & 0x10) | UInt8(answer.rcode.rawValue & 0x0f)]
        let counts = truncated ? [1, 0, 0, 0] : [1, answer.answerCount, answer.authorityCount, answer.additionalCount]
        for (index, count) in counts.enumerated() {
            let total = index == 3 && optLength > 0 ? count + 1 : count
            out += [UInt8(total >> 8), UInt8(total & 0xff)]
        }
        out += parsed.name
        out += [UInt8(parsed.type >> 8), UInt8(parsed.type & 0xff),
                UInt8(parsed.dnsClass >> 8), UInt8(parsed.dnsClass & 0xff)]
        if !truncated { out += answer.sections }
        if let edns = parsed.edns {
            let payload = DNSResponder.udpPayloadSize
            out += [0, 0, 41, UInt8(payload >> 8), UInt8(payload & 0xff), UInt8(answer.rcode.rawValue >> 4), 0,
                    edns.dnssecOK ? 0x80 : 0, 0, 0, 0]
        }
        return out
    }
}
