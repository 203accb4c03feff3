import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Record types and classes the tests use.
enum RRType {
    static let a: UInt16 = 1
    static let ns: UInt16 = 2
    static let cname: UInt16 = 5
    static let soa: UInt16 = 6
    static let txt: UInt16 = 16
    static let aaaa: UInt16 = 28
    static let opt: UInt16 = 41
    static let ixfr: UInt16 = 251
    static let axfr: UInt16 = 252
    static let any: UInt16 = 255
}

enum RRClass {
    static let internet: UInt16 = 1
    static let chaos: UInt16 = 3
    static let none: UInt16 = 254
    static let any: UInt16 = 255
}

enum RCode {
    static let noError = 0
    static let formErr = 1
    static let servFail = 2
    static let nxDomain = 3
    static let notImp = 4
    static let refused = 5
    static let badVers = 16
}

/// An OPT record to put in a query (RFC 6891).
struct EDNSSpec {
    var udpSize: UInt16 = 1232
    var version: UInt8 = 0
    var dnssecOK = false
    /// Raw option bytes (code, length, data...), not checked.
    var options: [UInt8] = []

    var bytes: [UInt8] {
        [
            0, 0, 41, UInt8(udpSize >> 8), UInt8(udpSize & 0xff), 0, version, dnssecOK ? 0x80 : 0, 0,
            UInt8(options.count >> 8 & 0xff), UInt8(options.count & 0xff),
        ] + options
    }
}

/// Builds DNS messages byte by byte, so tests can also build wrong ones.
enum DNSWire {
    /// `app.tm.example` → `\x03app\x02tm\x07example\x00` (no checks: labels longer than 63 are the caller's business).
    static func name(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for label in text.split(separator: ".", omittingEmptySubsequences: true) {
            bytes.append(UInt8(truncatingIfNeeded: label.utf8.count))
            bytes += label.utf8
        }
        bytes.append(0)
        return bytes
    }

    static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }

    /// A 12-byte header.
    static func header(
        id: UInt16, flags: UInt16 = 0, qd: UInt16 = 1, an: UInt16 = 0, ns: UInt16 = 0,
        ar: UInt16 = 0
    ) -> [UInt8] {
        u16(id) + u16(flags) + u16(qd) + u16(an) + u16(ns) + u16(ar)
    }

    /// A standard query; `opcode` other than 0 and `qr` are there to build packets the server must refuse or drop.
    static func query(
        id: UInt16, name: String, type: UInt16, dnsClass: UInt16 = RRClass.internet,
        recursionDesired: Bool = false, edns: EDNSSpec? = nil, opcode: UInt8 = 0,
        qr: Bool = false
    ) -> [UInt8] {
        var flags = UInt16(opcode & 0x0f) << 11
        if recursionDesired { flags |= 0x0100 }
        if qr { flags |= 0x8000 }
        return header(id: id, flags: flags, ar: edns == nil ? 0 : 1) + self.name(name) + u16(type) + u16(dnsClass)
            + (edns?.bytes ?? [])
    }
}

/// A parse failure, with where it happened.
struct DNSParseError: Error, CustomStringConvertible {
    let description: String
}

/// A parsed DNS message. Parsing is strict: anything that does not fit is an error, so the tests can assert that
/// every response the server sends is well formed.
struct DNSMessage: CustomStringConvertible {
    struct Question: Equatable {
        let name: String
        let type: UInt16
        let dnsClass: UInt16
    }

    struct Record {
        let name: String
        let type: UInt16
        let dnsClass: UInt16
        let ttl: UInt32
        let rdata: [UInt8]
        /// For CNAME and NS: the target name; for SOA: mname and rname.
        let names: [String]

        var address: String? {
            if type == RRType.a, rdata.count == 4 { return rdata.map(String.init).joined(separator: ".") }
            if type == RRType.aaaa, rdata.count == 16 {
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                var raw = in6_addr()
                withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: rdata) }
                guard inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count)) != nil else { return nil }
                return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            return nil
        }
    }

    let bytes: [UInt8]
    let id: UInt16
    let qr: Bool
    let opcode: Int
    let aa: Bool
    let tc: Bool
    let rd: Bool
    let ra: Bool
    let z: Bool
    let ad: Bool
    let cd: Bool
    /// The 4-bit header RCODE.
    let headerRCode: Int
    let questions: [Question]
    let answers: [Record]
    let authority: [Record]
    /// Without the OPT record, which is in `opt`.
    let additional: [Record]
    let opt: Record?

    /// RCODE with the OPT record's upper 8 bits (RFC 6891).
    var rcode: Int { headerRCode | Int((opt?.ttl ?? 0) >> 24) << 4 }
    var ednsVersion: Int? { opt.map { Int($0.ttl >> 16 & 0xff) } }
    var ednsUDPSize: Int? { opt.map { Int($0.dnsClass) } }

    init(_ bytes: [UInt8]) throws {
        self.bytes = bytes
        guard bytes.count >= 12 else { throw DNSParseError(description: "\(bytes.count) bytes: shorter than a header") }
        id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        qr = bytes[2] & 0x80 != 0
        opcode = Int(bytes[2] >> 3 & 0x0f)
        aa = bytes[2] & 0x04 != 0
        tc = bytes[2] & 0x02 != 0
        rd = bytes[2] & 0x01 != 0
        ra = bytes[3] & 0x80 != 0
        z = bytes[3] & 0x40 != 0
        ad = bytes[3] & 0x20 != 0
        cd = bytes[3] & 0x10 != 0
        headerRCode = Int(bytes[3] & 0x0f)
        func count(_ offset: Int) -> Int { Int(bytes[offset]) << 8 | Int(bytes[offset + 1]) }
        var reader = Reader(bytes: bytes, offset: 12)
        var questions: [Question] = []
        for _ in 0..<count(4) {
            questions.append(Question(name: try reader.name(), type: try reader.u16(), dnsClass: try reader.u16()))
        }
        var sections: [[Record]] = []
        for offset in [6, 8, 10] {
            var records: [Record] = []
            for _ in 0..<count(offset) { records.append(try reader.record()) }
            sections.append(records)
        }
        guard reader.offset == bytes.count else {
            throw DNSParseError(description: "\(bytes.count - reader.offset) bytes after the last record")
        }
        self.questions = questions
        answers = sections[0]
        authority = sections[1]
        let opts = sections[2].filter { $0.type == RRType.opt }
        guard opts.count <= 1 else { throw DNSParseError(description: "\(opts.count) OPT records") }
        if let opt = opts.first, opt.name != "." { throw DNSParseError(description: "OPT owner \(opt.name)") }
        opt = opts.first
        additional = sections[2].filter { $0.type != RRType.opt }
    }

    var flagNames: [String] {
        [("qr", qr), ("aa", aa), ("tc", tc), ("rd", rd), ("ra", ra), ("ad", ad), ("cd", cd)].filter(\.1).map(\.0)
    }

    var description: String {
        "id \(id) opcode \(opcode) rcode \(rcode) flags [\(flagNames.joined(separator: " "))] question \(questions) "
            + "answers \(answers.map { "\($0.name) \($0.type) \($0.address ?? $0.names.joined(separator: " "))" }) "
            + "authority \(authority.count) additional \(additional.count) opt \(opt != nil)"
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset: Int

        mutating func u8() throws -> UInt8 {
            guard offset < bytes.count else { throw DNSParseError(description: "truncated at \(offset)") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func u16() throws -> UInt16 { UInt16(try u8()) << 8 | UInt16(try u8()) }

        mutating func u32() throws -> UInt32 { UInt32(try u16()) << 16 | UInt32(try u16()) }

        /// A possibly compressed name, as dotted text with a trailing dot; pointers must point backwards.
        mutating func name() throws -> String {
            var labels: [String] = []
            var position = offset
            var jumped = false
            var wireLength = 1
            var jumps = 0
            while true {
                guard position < bytes.count else { throw DNSParseError(description: "name runs past the end") }
                let length = Int(bytes[position])
                if length == 0 {
                    position += 1
                    break
                }
                switch length & 0xc0 {
                case 0xc0:
                    guard position + 1 < bytes.count else { throw DNSParseError(description: "cut pointer") }
                    let target = (length & 0x3f) << 8 | Int(bytes[position + 1])
                    guard target < position, jumps < 64 else {
                        throw DNSParseError(description: "bad compression pointer at \(position) to \(target)")
                    }
                    if !jumped { offset = position + 2 }
                    jumped = true
                    jumps += 1
                    position = target
                case 0:
                    guard position + 1 + length <= bytes.count else { throw DNSParseError(description: "cut label") }
                    labels.append(String(decoding: bytes[position + 1...position + length], as: UTF8.self))
                    wireLength += length + 1
                    guard wireLength <= 255 else { throw DNSParseError(description: "name longer than 255") }
                    position += 1 + length
                default:
                    throw DNSParseError(description: "label type \(length) at \(position)")
                }
            }
            if !jumped { offset = position }
            return labels.isEmpty ? "." : labels.joined(separator: ".") + "."
        }

        mutating func record() throws -> Record {
            let name = try name()
            let type = try u16()
            let dnsClass = try u16()
            let ttl = try u32()
            let length = Int(try u16())
            guard offset + length <= bytes.count else { throw DNSParseError(description: "rdata runs past the end") }
            let start = offset
            var names: [String] = []
            switch type {
            case RRType.cname, RRType.ns:
                names = [try self.name()]
            case RRType.soa:
                names = [try self.name(), try self.name()]
                offset += 20
            case RRType.a:
                guard length == 4 else { throw DNSParseError(description: "A rdata of \(length) bytes") }
                offset += length
            case RRType.aaaa:
                guard length == 16 else { throw DNSParseError(description: "AAAA rdata of \(length) bytes") }
                offset += length
            default:
                offset += length
            }
            guard offset == start + length else {
                throw DNSParseError(description: "rdata of type \(type) is \(offset - start) bytes, RDLENGTH \(length)")
            }
            return Record(
                name: name, type: type, dnsClass: dnsClass, ttl: ttl, rdata: Array(bytes[start..<offset]),
                names: names)
        }
    }
}

/// The query every health check sends, and what a correct answer to it is (with the tests' own configuration).
enum NormalQuery {
    static let name = "app.tm.example"
    static let address = "127.0.0.11"

    static func make(id: UInt16) -> [UInt8] { DNSWire.query(id: id, name: name, type: RRType.a) }

    /// Nil when `reply` is a correct answer to `make(id:)`, else what is wrong with it.
    static func problem(with reply: [UInt8]?, id: UInt16) -> String? {
        guard let reply else { return "no reply" }
        let message: DNSMessage
        do {
            message = try DNSMessage(reply)
        } catch {
            return "malformed reply (\(error)): \(reply)"
        }
        guard message.id == id, message.qr, message.aa, !message.tc, !message.ra, message.rcode == RCode.noError,
            message.questions == [DNSMessage.Question(name: name + ".", type: RRType.a, dnsClass: RRClass.internet)],
            message.answers.count == 1, let answer = message.answers.first, answer.type == RRType.a,
            answer.name == name + ".", answer.address == address
        else { return "wrong answer (expected id \(id), \(name) A \(address)): \(message)" }
        return nil
    }
}
