/// The rules of RFC 1035 and RFC 6891 that ldns does not enforce, checked on the raw packet before ldns reads it.
///
/// ldns merges several OPT records into one EDNS state (ECS from one, DO from another), ignores an OPT record's
/// owner, keeps an OPT record found in the answer or authority section as an ordinary record, and follows
/// compression pointers in any direction; of several TSIG records it keeps the last and leaks the others (ldns
/// 1.8.3's `ldns_pkt_set_tsig` does not free the one it replaces: found by fuzz/FuzzQueryParser). An
/// authoritative server facing the internet answers all of these with
/// FORMERR instead, so that what it answers never depends on how one parser resolves an ambiguity.
///
/// Only the shapes above are judged here. Anything else that is malformed (a truncated record, a bad label type, a
/// name longer than 255 bytes) passes, and ldns, the one full parser, rejects it. The walk allocates nothing.
enum StrictParsing {
    enum Violation: Equatable {
        /// RFC 6891 §6.1.1: an OPT record in the answer or authority section.
        case optOutsideAdditional
        /// RFC 6891 §6.1.1: more than one OPT record.
        case secondOPT
        /// RFC 6891 §6.1.2: the OPT record's owner must be the root.
        case optOwnerNotRoot
        /// RFC 1035 §4.1.4: a pointer refers to a prior occurrence of a name, so it must point before the labels
        /// that contain it (and past the header). This also rules out every pointer loop.
        case pointerNotBackwards
        /// RFC 8945 §5.2: a TSIG record that is not the last record of the additional section (so also a second
        /// one). edgetm verifies no TSIG; a single one in its place is ignored, as before.
        case tsigNotLast
    }

    private static let typeOPT = 41
    private static let typeTSIG = 250
    private static let headerSize = 12

    /// The first violation in packet order, or nil when there is none (or the packet is malformed otherwise).
    static func violation(in packet: UnsafeRawBufferPointer) -> Violation? {
        guard packet.count >= headerSize else { return nil }
        func word(_ at: Int) -> Int { Int(packet[at]) << 8 | Int(packet[at + 1]) }
        var offset = headerSize
        for _ in 0..<word(4) {
            switch walkName(packet, from: offset) {
            case .name(let end, _): offset = end + 4
            case .badPointer: return .pointerNotBackwards
            case .unreadable: return nil
            }
        }
        var optCount = 0
        // Answer, authority, additional: owner, then type, class, TTL, RDLENGTH and the RDATA.
        for section in 0..<3 {
            let count = word(6 + 2 * section)
            for index in 0..<count {
                let ownerLength: Int
                switch walkName(packet, from: offset) {
                case .name(let end, let length):
                    offset = end
                    ownerLength = length
                case .badPointer: return .pointerNotBackwards
                case .unreadable: return nil
                }
                guard offset + 10 <= packet.count else { return nil }
                if word(offset) == typeOPT {
                    guard section == 2 else { return .optOutsideAdditional }
                    guard ownerLength == 1 else { return .optOwnerNotRoot }
                    optCount += 1
                    guard optCount == 1 else { return .secondOPT }
                }
                if word(offset) == typeTSIG, section != 2 || index != count - 1 { return .tsigNotLast }
                offset += 10 + word(offset + 8)
            }
        }
        return nil
    }

    private enum NameWalk {
        /// `end`: the offset after the name as it sits in the packet; `length`: its uncompressed wire length.
        case name(end: Int, length: Int)
        case badPointer
        case unreadable
    }

    /// Follows one possibly compressed name. Every pointer must go below the start of the labels being read, so the
    /// targets fall strictly and the walk ends.
    private static func walkName(_ packet: UnsafeRawBufferPointer, from start: Int) -> NameWalk {
        var position = start
        var labelsStart = start
        var end: Int?
        var length = 0
        while position < packet.count {
            let byte = Int(packet[position])
            switch byte & 0xc0 {
            case 0:
                length += byte + 1
                guard length <= 255 else { return .unreadable }
                if byte == 0 { return .name(end: end ?? position + 1, length: length) }
                position += byte + 1
            case 0xc0:
                guard position + 1 < packet.count else { return .unreadable }
                let target = (byte & 0x3f) << 8 | Int(packet[position + 1])
                guard target >= headerSize, target < labelsStart else { return .badPointer }
                if end == nil { end = position + 2 }
                position = target
                labelsStart = target
            default:
                return .unreadable
            }
        }
        return .unreadable
    }
}
