/// An IPv6 address as two 64-bit halves, so that prefix matching stays arithmetic.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses RFC 4291 text: `::` compression and a trailing embedded IPv4 address. No zone index.
    public init?(_ text: some StringProtocol) {
        let text = String(text)
        var head = text[...]
        var tail: Substring?
        if let gap = text.firstRange(of: "::") {
            head = text[..<gap.lowerBound]
            tail = text[gap.upperBound...]
            guard !tail!.contains("::") else { return nil }
        }
        guard var groups = Self.groups(head, allowsIPv4: tail == nil) else { return nil }
        if let tail {
            guard let tailGroups = Self.groups(tail, allowsIPv4: true), groups.count + tailGroups.count < 8
            else { return nil }
            groups += Array(repeating: 0, count: 8 - groups.count - tailGroups.count) + tailGroups
        }
        guard groups.count == 8 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for group in groups[0..<4] { high = high << 16 | UInt64(group) }
        for group in groups[4..<8] { low = low << 16 | UInt64(group) }
        self.high = high
        self.low = low
    }

    /// Colon-separated hex groups; the last may be dotted IPv4 when `allowsIPv4`. Empty text is no groups.
    private static func groups(_ text: Substring, allowsIPv4: Bool) -> [UInt16]? {
        if text.isEmpty { return [] }
        let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, piece) in pieces.enumerated() {
            if allowsIPv4, index == pieces.count - 1, piece.contains(".") {
                guard let v4 = IPv4Address(piece) else { return nil }
                groups += [UInt16(v4.value >> 16), UInt16(v4.value & 0xffff)]
            } else {
                guard (1...4).contains(piece.count), piece.allSatisfy({ $0.isHexDigit }),
                    let group = UInt16(piece, radix: 16)
                else { return nil }
                groups.append(group)
            }
        }
        return groups
    }

    public var bytes: [UInt8] {
        let shifts: [UInt64] = [56, 48, 40, 32, 24, 16, 8, 0]
        return shifts.map { UInt8(truncatingIfNeeded: high >> $0) }
            + shifts.map { UInt8(truncatingIfNeeded: low >> $0) }
    }

    /// RFC 5952 text: lowercase, longest run of two or more zero groups compressed.
    public var description: String {
        let shifts: [UInt64] = [48, 32, 16, 0]
        let groups =
            shifts.map { UInt16(truncatingIfNeeded: high >> $0) } + shifts.map { UInt16(truncatingIfNeeded: low >> $0) }
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for index in 0...8 {
            if index < 8, groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength { (bestStart, bestLength) = (runStart, index - runStart) }
                runStart = -1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestLength >= 2 else { return hex.joined(separator: ":") }
        let head = hex[0..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}
