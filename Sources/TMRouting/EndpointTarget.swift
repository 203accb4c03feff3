/// What an endpoint's answer is: an address record, or a CNAME to a DNS name.
public enum EndpointTarget: Hashable, Sendable, CustomStringConvertible {
    case ipv4(IPv4Address)
    case ipv6(IPv6Address)
    case name(DomainName)

    /// Reads an address literal first, so that `127.0.0.11` never becomes a name.
    public init?(_ text: String) {
        if let v4 = IPv4Address(text) {
            self = .ipv4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .ipv6(v6)
        } else if let name = DomainName(text), !name.labels.isEmpty {
            self = .name(name)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .ipv4(let address): address.description
        case .ipv6(let address): address.description
        case .name(let name): name.description
        }
    }
}
