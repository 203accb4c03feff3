/// An address range of a Subnet-routed endpoint: `first` to `last` inclusive; `prefixLength` when it was given as
/// a CIDR scope (which is then also the ECS scope it answers with).
public struct SubnetRange: Hashable, Sendable, CustomStringConvertible {
    public let first: IPAddress
    public let last: IPAddress
    public let prefixLength: Int?

    public init?(first: IPAddress, last: IPAddress) {
        guard first.sameFamily(as: last), first <= last else { return nil }
        self.first = first
        self.last = last
        prefixLength = nil
    }

    public init(network: IPNetwork) {
        first = network.address
        last = network.lastAddress
        prefixLength = network.prefixLength
    }

    public func contains(_ address: IPAddress) -> Bool {
        address.sameFamily(as: first) && first <= address && address <= last
    }

    public func overlaps(_ other: SubnetRange) -> Bool {
        first.sameFamily(as: other.first) && first <= other.last && other.first <= last
    }

    public var description: String { prefixLength.map { "\(first)/\($0)" } ?? "\(first)-\(last)" }
}
