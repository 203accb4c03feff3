/// A nested endpoint's child profile and Azure's thresholds for counting the child as available.
public struct NestedTarget: Hashable, Sendable {
    public let profile: String
    public let minChildEndpoints: Int
    /// 0: not checked.
    public let minChildEndpointsIPv4: Int
    public let minChildEndpointsIPv6: Int

    public init(
        profile: String, minChildEndpoints: Int = 1, minChildEndpointsIPv4: Int = 0,
        minChildEndpointsIPv6: Int = 0
    ) {
        self.profile = profile
        self.minChildEndpoints = minChildEndpoints
        self.minChildEndpointsIPv4 = minChildEndpointsIPv4
        self.minChildEndpointsIPv6 = minChildEndpointsIPv6
    }
}

/// One endpoint of a profile. `id` numbers endpoints across the whole configuration so health is a plain array.
public struct Endpoint: Hashable, Sendable {
    public let id: Int
    public let name: String
    /// For a nested endpoint, the child profile's name (as a DNS name, for display only).
    public let target: EndpointTarget
    public let isEnabled: Bool
    public let priority: Int
    /// Azure's `alwaysServe`: never probed, always eligible.
    public let alwaysServe: Bool
    public let customHeaders: [HTTPHeader]
    public let weight: Int
    /// Location codes (WORLD, GEO-xx, countries, states) this endpoint serves in a Geographic profile.
    public let geoMapping: [String]
    public let subnets: [SubnetRange]
    /// Set for nested endpoints: routing continues in the child profile.
    public let nested: NestedTarget?

    public init(
        id: Int, name: String, target: EndpointTarget, isEnabled: Bool, priority: Int,
        alwaysServe: Bool = false, customHeaders: [HTTPHeader] = [], weight: Int = 1,
        geoMapping: [String] = [], subnets: [SubnetRange] = [], nested: NestedTarget? = nil
    ) {
        self.id = id
        self.name = name
        self.target = target
        self.isEnabled = isEnabled
        self.priority = priority
        self.alwaysServe = alwaysServe
        self.customHeaders = customHeaders
        self.weight = weight
        self.geoMapping = geoMapping
        self.subnets = subnets
        self.nested = nested
    }
}
