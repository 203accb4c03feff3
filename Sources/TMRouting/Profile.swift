/// How a profile picks among its endpoints (Azure Traffic Manager's `trafficRoutingMethod`). Azure's
/// `Performance` is not here: edgetm has no latency table, and the loader refuses it with that reason.
public enum RoutingMethod: String, Sendable, CaseIterable {
    case priority = "Priority"
    case weighted = "Weighted"
    case geographic = "Geographic"
    case multiValue = "MultiValue"
    case subnet = "Subnet"
}

/// A traffic-manager profile: one DNS name and the endpoints it routes between.
public struct Profile: Hashable, Sendable {
    public let name: String
    /// The name the profile answers at, `<relativeName>.<zone>`.
    public let fqdn: DomainName
    public let isEnabled: Bool
    public let method: RoutingMethod
    public let ttl: UInt32
    /// `dnsConfig.adaptiveTtl` (edgetm extension): answers at this profile's name carry a TTL lowered to the time
    /// until health could change them (`RoutePlanner`), never above `ttl`.
    public let adaptiveTTL: Bool
    public let monitor: MonitorConfig
    /// Sorted by priority, so that routing walks them in order.
    public let endpoints: [Endpoint]
    /// MultiValue: how many addresses an answer holds at most.
    public let maxReturn: Int

    public init(
        name: String, fqdn: DomainName, isEnabled: Bool, method: RoutingMethod, ttl: UInt32,
        adaptiveTTL: Bool = false, monitor: MonitorConfig, endpoints: [Endpoint], maxReturn: Int = 2
    ) {
        self.name = name
        self.fqdn = fqdn
        self.isEnabled = isEnabled
        self.method = method
        self.ttl = ttl
        self.adaptiveTTL = adaptiveTTL
        self.monitor = monitor
        self.endpoints = endpoints.sorted { $0.priority < $1.priority }
        self.maxReturn = maxReturn
    }
}
