/// A CIDR prefix such as `198.51.100.0/24` or `2001:db8::/32`.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    /// Nil unless the text is `address/length` with a length that fits the family; host bits are cleared.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]), let address = IPAddress(parts[0]) else { return nil }
        self.init(address: address, prefixLength: length)
    }

    public init?(address: IPAddress, prefixLength: Int) {
        switch address {
        case .v4(let v4):
            guard (0...32).contains(prefixLength) else { return nil }
            self.address = .v4(IPv4Address(v4.value & Self.mask32(prefixLength)))
        case .v6(let v6):
            guard (0...128).contains(prefixLength) else { return nil }
            let (high, low) = Self.mask128(prefixLength)
            self.address = .v6(IPv6Address(high: v6.high & high, low: v6.low & low))
        }
        self.prefixLength = prefixLength
    }

    public func contains(_ candidate: IPAddress) -> Bool {
        switch (address, candidate) {
        case (.v4(let network), .v4(let host)):
            return host.value & Self.mask32(prefixLength) == network.value
        case (.v6(let network), .v6(let host)):
            let (high, low) = Self.mask128(prefixLength)
            return host.high & high == network.high && host.low & low == network.low
        default:
            return false
        }
    }

    public var description: String { "\(address)/\(prefixLength)" }

    /// The highest address inside the network.
    public var lastAddress: IPAddress {
        switch address {
        case .v4(let v4):
            return .v4(IPv4Address(v4.value | ~Self.mask32(prefixLength)))
        case .v6(let v6):
            let (high, low) = Self.mask128(prefixLength)
            return .v6(IPv6Address(high: v6.high | ~high, low: v6.low | ~low))
        }
    }

    public static func mask32(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << (32 - length) }

    public static func mask128(_ length: Int) -> (UInt64, UInt64) {
        if length <= 64 { return (length == 0 ? 0 : UInt64.max << (64 - length), 0) }
        return (UInt64.max, UInt64.max << (128 - length))
    }
}
