import TMRouting

/// Frames a prepared answer behind the query's ID, flags and question, straight into the caller's buffer.
struct ResponseWriter {
    let query: UnsafeRawBufferPointer
    let parsed: ParsedQuery
    /// The SCOPE PREFIX-LENGTH to echo ECS with; 0 unless the answer depended on the client.
    var ecsScope: UInt8 = 0
    /// Echoed in the OPT record when cookies are on and the query sent one.
    var cookie: ResponseCookie?
    /// The edns-tcp-keepalive TIMEOUT to answer with (RFC 7828), in units of 100 ms; nil: no such option.
    var keepalive: UInt16?

    /// Where the question ends in a written response, which `truncate` keeps.
    var questionEnd: Int { 12 + (parsed.hasQuestion ? parsed.withName(in: query) { $0.count } + 4 : 0) }
    /// The OPT record's length, the last record of every response written for a query with EDNS.
    var optLength: Int {
        guard parsed.edns != nil else { return 0 }
        return 11 + (parsed.edns?.clientSubnet.map { 8 + $0.addressLength } ?? 0)
            + (cookie == nil ? 0 : ResponseCookie.optionLength) + (keepalive == nil ? 0 : 6)
    }

    /// Writes the response, truncated (TC, question only) when longer than `limit`, and returns its length.
    /// `out` must hold `limit` bytes (a truncated response is always shorter than 512).
    func write(_ answer: PreparedAnswer, limit: Int, into out: UnsafeMutableRawBufferPointer) -> Int {
        let subnet = parsed.edns?.clientSubnet
        let optLength = optLength
        let nameLength = parsed.withName(in: query) { $0.count }
        let fullLength = questionEnd + answer.sections.count + optLength
        let truncated = fullLength > limit
        precondition(out.count >= min(fullLength, limit), "response buffer too small")
        var cursor = WireCursor(out)
        let aa: UInt8 = answer.authoritative ? 0x04 : 0
        let tc: UInt8 = truncated ? 0x02 : 0
        // QR, AA and TC ours; RD and CD copied (RFC 1035, 4035); RA clear: no recursion here.
        cursor.put(query[0])
        cursor.put(query[1])
        cursor.put(0x80 | aa | tc | (query[2] & 0x01))
        cursor.put((query[3] & 0x10) | UInt8(answer.rcode.rawValue & 0x0f))
        let additional = Int(answer.additionalCount) + (optLength > 0 ? 1 : 0)
        cursor.put16(parsed.hasQuestion ? 1 : 0)
        cursor.put16(truncated ? 0 : Int(answer.answerCount))
        cursor.put16(truncated ? 0 : Int(answer.authorityCount))
        cursor.put16(truncated ? (optLength > 0 ? 1 : 0) : additional)
        if parsed.hasQuestion {
            parsed.withName(in: query) { cursor.put($0) }
            cursor.put16(Int(parsed.type))
            cursor.put16(Int(parsed.dnsClass))
        }
        if !truncated {
            let sectionsStart = cursor.offset
            answer.sections.withUnsafeBytes { cursor.put($0) }
            let shift = nameLength - answer.preparedNameLength
            if shift != 0, !answer.relocations.isEmpty {
                assert(shift > 0, "a relocatable answer behind a name above its apex")
                for relocation in answer.relocations {
                    let at = sectionsStart + Int(relocation)
                    let pointer = Int(out[at]) << 8 | Int(out[at + 1])
                    let moved = 0xc000 | ((pointer & 0x3fff) + shift)
                    out[at] = UInt8(truncatingIfNeeded: moved >> 8)
                    out[at + 1] = UInt8(truncatingIfNeeded: moved)
                }
            }
        }
        if let edns = parsed.edns {
            cursor.put(0)
            cursor.put16(41)
            cursor.put16(Int(DNSResponder.udpPayloadSize))
            // Extended RCODE, version 0, DO copied (RFC 3225), the other flags zero.
            cursor.put(UInt8(answer.rcode.rawValue >> 4))
            cursor.put(0)
            cursor.put16(edns.dnssecOK ? 0x8000 : 0)
            cursor.put16(optLength - 11)
            if let subnet {
                cursor.put16(8)
                cursor.put16(4 + subnet.addressLength)
                cursor.put16(Int(subnet.family))
                cursor.put(subnet.sourcePrefixLength)
                cursor.put(ecsScope)
                for index in 0..<subnet.addressLength { cursor.put(subnet.address.byte(index)) }
            }
            if let cookie {
                cursor.put16(10)
                cursor.put16(24)
                cursor.put64(cookie.client)
                cursor.put64(cookie.serverHead)
                cursor.put64(cookie.serverHash)
            }
            if let keepalive {
                cursor.put16(11)
                cursor.put16(2)
                cursor.put16(Int(keepalive))
            }
        }
        return cursor.offset
    }

    /// Turns a written response of `length` bytes into its truncated form in place: TC set, no records but the OPT
    /// record (moved up behind the question), so that a client retries over TCP. What rate limiting sends instead
    /// of a dropped answer; the new length.
    static func truncate(_ out: UnsafeMutableRawBufferPointer, length: Int, questionEnd: Int, optLength: Int) -> Int {
        out[2] |= 0x02
        for index in 6..<12 { out[index] = 0 }
        guard optLength > 0 else { return questionEnd }
        out[11] = 1
        let base = out.baseAddress!
        (base + questionEnd).copyMemory(from: base + (length - optLength), byteCount: optLength)
        return questionEnd + optLength
    }
}

/// Appends bytes to a buffer the caller has sized: bounds are checked once, by the writer, not per byte.
struct WireCursor {
    private let base: UnsafeMutableRawPointer
    private(set) var offset = 0

    init(_ buffer: UnsafeMutableRawBufferPointer) { base = buffer.baseAddress! }

    @inline(__always)
    mutating func put(_ byte: UInt8) {
        base.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
        offset += 1
    }

    @inline(__always)
    mutating func put16(_ value: Int) {
        put(UInt8(truncatingIfNeeded: value >> 8))
        put(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always)
    mutating func put64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { put(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    @inline(__always)
    mutating func put(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        (base + offset).copyMemory(from: source, byteCount: bytes.count)
        offset += bytes.count
    }
}

extension IPAddress {
    /// Byte `index` of the address in network order.
    func byte(_ index: Int) -> UInt8 {
        switch self {
        case .v4(let v4): UInt8(truncatingIfNeeded: v4.value >> (24 - 8 * index))
        case .v6(let v6): UInt8(truncatingIfNeeded: (index < 8 ? v6.high : v6.low) >> (56 - 8 * (index % 8)))
        }
    }
}
