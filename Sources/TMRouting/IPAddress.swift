/// A client's address, as routing and access control see it.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible, Comparable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public func sameFamily(as other: IPAddress) -> Bool {
        switch (self, other) {
        case (.v4, .v4), (.v6, .v6): true
        default: false
        }
    }

    /// IPv4 before IPv6; numeric within a family.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): a.value < b.value
        case (.v6(let a), .v6(let b)): (a.high, a.low) < (b.high, b.low)
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }

    /// The address with only its first `length` bits kept.
    public func truncated(to length: Int) -> IPAddress {
        IPNetwork(address: self, prefixLength: length)?.address ?? self
    }

    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .v4(let address): address.description
        case .v6(let address): address.description
        }
    }
}
