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

/// One endpoint of a profile. `id` numbers endpoints across the whole configuration so health is a plain array.
public struct Endpoint: Hashable, Sendable {
    public let id: Int
    public let name: String
    public let target: EndpointTarget
    public let isEnabled: Bool
    public let priority: Int
    /// Azure's `alwaysServe`: never probed, always eligible.
    public let alwaysServe: Bool
    public let customHeaders: [HTTPHeader]

    public init(id: Int, name: String, target: EndpointTarget, isEnabled: Bool, priority: Int,
                alwaysServe: Bool = false, customHeaders: [HTTPHeader] = []) {
        self.id = id
        self.name = name
        self.target = target
        self.isEnabled = isEnabled
        self.priority = priority
        self.alwaysServe = alwaysServe
        self.customHeaders = customHeaders
    }
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

    public init(name: String, fqdn: DomainName, isEnabled: Bool, method: RoutingMethod, ttl: UInt32,
                monitor: MonitorConfig, endpoints: [Endpoint]) {
        self.name = name
        self.fqdn = fqdn
        self.isEnabled = isEnabled
        self.method = method
        self.ttl = ttl
        self.monitor = monitor
        self.endpoints = endpoints.sorted { $0.priority < $1.priority }
    }
}
