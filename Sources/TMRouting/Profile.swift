/// How a profile picks among its endpoints (Azure Traffic Manager's `trafficRoutingMethod`).
public enum RoutingMethod: String, Sendable, CaseIterable {
    case priority = "Priority"
    case weighted = "Weighted"
    case performance = "Performance"
    case geographic = "Geographic"
    case multiValue = "MultiValue"
    case subnet = "Subnet"
}

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

/// One HTTP header a probe sends.
public struct HTTPHeader: Hashable, Sendable {
    public let name: String
    public let value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A profile's `monitorConfig`: how its endpoints are probed.
public struct MonitorConfig: Hashable, Sendable {
    public enum ProbeProtocol: String, Sendable, CaseIterable {
        case http = "HTTP", https = "HTTPS", tcp = "TCP"
    }

    public var probeProtocol: ProbeProtocol = .http
    public var port: Int = 80
    public var path: String? = "/"
    public var intervalSeconds: Double = 30
    public var timeoutSeconds: Double = 10
    public var toleratedFailures: Int = 3
    public var expectedStatusCodes: [ClosedRange<Int>] = [200...200]
    public var customHeaders: [HTTPHeader] = []
    public var verifyCertificate = false

    public init() {}
}

/// A nested endpoint's child profile and Azure's thresholds for counting the child as available.
public struct NestedTarget: Hashable, Sendable {
    public let profile: String
    public let minChildEndpoints: Int
    /// 0: not checked.
    public let minChildEndpointsIPv4: Int
    public let minChildEndpointsIPv6: Int

    public init(profile: String, minChildEndpoints: Int = 1, minChildEndpointsIPv4: Int = 0,
                minChildEndpointsIPv6: Int = 0) {
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

    public init(id: Int, name: String, target: EndpointTarget, isEnabled: Bool, priority: Int,
                alwaysServe: Bool = false, customHeaders: [HTTPHeader] = [], weight: Int = 1,
                geoMapping: [String] = [], subnets: [SubnetRange] = [], nested: NestedTarget? = nil) {
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

/// A traffic-manager profile: one DNS name and the endpoints it routes between.
public struct Profile: Hashable, Sendable {
    public let name: String
    /// The name the profile answers at, `<relativeName>.<zone>`.
    public let fqdn: DomainName
    public let isEnabled: Bool
    public let method: RoutingMethod
    public let ttl: UInt32
    public let monitor: MonitorConfig
    /// Sorted by priority, so that routing walks them in order.
    public let endpoints: [Endpoint]
    /// MultiValue: how many addresses an answer holds at most.
    public let maxReturn: Int

    public init(name: String, fqdn: DomainName, isEnabled: Bool, method: RoutingMethod, ttl: UInt32,
                monitor: MonitorConfig, endpoints: [Endpoint], maxReturn: Int = 2) {
        self.name = name
        self.fqdn = fqdn
        self.isEnabled = isEnabled
        self.method = method
        self.ttl = ttl
        self.monitor = monitor
        self.endpoints = endpoints.sorted { $0.priority < $1.priority }
        self.maxReturn = maxReturn
    }
}
