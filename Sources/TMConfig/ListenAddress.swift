import TMRouting

/// An address and port to serve on: `127.0.0.1:5353` or `[::1]:5353`.
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Host: Hashable, Sendable {
        case ipv4(IPv4Address)
        case ipv6(IPv6Address)
    }

    public let host: Host
    public let port: UInt16

    public init(host: Host, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Nil when the text is not `IPv4:port` or `[IPv6]:port` with a port of 1–65535.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port > 0
        else { return nil }
        let hostText = text[..<colon]
        if hostText.hasPrefix("["), hostText.hasSuffix("]"), let v6 = IPv6Address(hostText.dropFirst().dropLast()) {
            host = .ipv6(v6)
        } else if let v4 = IPv4Address(hostText) {
            host = .ipv4(v4)
        } else {
            return nil
        }
        self.port = port
    }

    public var description: String {
        switch host {
        case .ipv4(let address): "\(address):\(port)"
        case .ipv6(let address): "[\(address)]:\(port)"
        }
    }
}
