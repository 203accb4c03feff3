/// A query's client as plans see it: the address (from ECS or the source), its location when a plan needs it, and
/// the scope the answer may be cached for (RFC 7871).
public struct ClientQuery {
    /// Which address routing used.
    public enum AddressOrigin: String, Hashable, Sendable {
        /// The EDNS Client Subnet option of the query.
        case ecs
        /// The address the query came from (the resolver's).
        case resolver
    }

    public let address: IPAddress
    public let origin: AddressOrigin
    /// ECS source prefix length; the full address length when the query had no ECS.
    public let sourcePrefixLength: Int
    private let locator: ClientLocator
    private var cachedLocation: ClientLocation?
    /// The most specific prefix any choice depended on; nil while no choice depended on the client.
    public private(set) var scopePrefixLength: Int?
    /// The steps taken, kept only when `explaining`, so that the query path builds none.
    public private(set) var steps: [Step] = []
    private let explaining: Bool

    public init(
        address: IPAddress, origin: AddressOrigin, sourcePrefixLength: Int, locator: ClientLocator,
        explaining: Bool = false
    ) {
        self.address = address
        self.origin = origin
        self.sourcePrefixLength = sourcePrefixLength
        self.locator = locator
        self.explaining = explaining
    }

    public mutating func location() -> ClientLocation {
        if let cachedLocation { return cachedLocation }
        let found = locator.locate(address)
        cachedLocation = found
        return found
    }

    mutating func depend(on prefixLength: Int?) {
        let scope = min(prefixLength ?? sourcePrefixLength, sourcePrefixLength)
        scopePrefixLength = max(scopePrefixLength ?? 0, scope)
    }

    /// The same client, recording every step.
    func recordingSteps() -> ClientQuery {
        var copy = ClientQuery(
            address: address, origin: origin, sourcePrefixLength: sourcePrefixLength,
            locator: locator, explaining: true)
        copy.cachedLocation = cachedLocation
        return copy
    }

    /// Autoclosure: the query path builds no steps.
    @inline(__always)
    mutating func note(_ step: @autoclosure () -> Step) {
        if explaining { steps.append(step()) }
    }
}
