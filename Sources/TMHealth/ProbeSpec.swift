import TMRouting

/// Everything that makes one probe request. Endpoints whose specs are equal share one probe.
public struct ProbeSpec: Sendable, Hashable {
    public let probeProtocol: MonitorConfig.ProbeProtocol
    public let target: EndpointTarget
    public let port: Int
    public let path: String
    /// Profile headers overridden by the endpoint's for the same name (case-insensitive).
    public let headers: [HTTPHeader]
    public let expectedStatusCodes: [ClosedRange<Int>]
    /// Text the first `bodyCheckBytes` of the body must contain; nil when the body is not checked.
    public let expectedBody: String?
    public let interval: Double
    public let timeout: Double
    public let verifyCertificate: Bool
    /// Where the probe's connection leaves from, by the family it is made in (`probeSourceAddress`); nil: wherever
    /// the kernel picks. For an address target only its own family's source is kept, as the other cannot matter.
    public let sourceV4: IPAddress?
    public let sourceV6: IPAddress?

    /// `sourceAddresses`: at most one of each family (the configuration checks it); a later one of a family wins.
    public init(profile: Profile, endpoint: Endpoint, sourceAddresses: [IPAddress] = []) {
        let monitor = profile.monitor
        probeProtocol = monitor.probeProtocol
        target = endpoint.target
        port = monitor.port
        path = monitor.path ?? "/"
        let overridden = Set(endpoint.customHeaders.map { $0.name.lowercased() })
        headers = monitor.customHeaders.filter { !overridden.contains($0.name.lowercased()) } + endpoint.customHeaders
        expectedStatusCodes = monitor.expectedStatusCodes
        expectedBody = monitor.expectedBody
        interval = monitor.intervalSeconds
        timeout = monitor.timeoutSeconds
        verifyCertificate = monitor.verifyCertificate
        var v4: IPAddress?
        var v6: IPAddress?
        for address in sourceAddresses {
            if case .v4 = address { v4 = address } else { v6 = address }
        }
        switch endpoint.target {
        case .ipv4: (sourceV4, sourceV6) = (v4, nil)
        case .ipv6: (sourceV4, sourceV6) = (nil, v6)
        case .name: (sourceV4, sourceV6) = (v4, v6)
        }
    }

    /// `protocol://target:port/path`, IPv6 literals bracketed. TCP probes connect to the same host and port.
    public var url: String {
        let host: String
        switch target {
        case .ipv4(let address): host = address.description
        case .ipv6(let address): host = "[\(address)]"
        case .name(let name): host = String(name.description.dropLast())
        }
        let scheme = probeProtocol == .https ? "https" : "http"
        return "\(scheme)://\(host):\(port)\(probeProtocol == .tcp ? "/" : path)"
    }

    public func isExpected(status: Int) -> Bool {
        expectedStatusCodes.contains { $0.contains(status) }
    }

    /// How much of a body `expectedBody` is looked for in, and all that a probe checking it reads: Route 53's rule.
    public static let bodyCheckBytes = 5_120

    /// Whether the body's first `bodyCheckBytes` hold `expectedBody` whole, byte for byte; true when none is set.
    public func isExpected(body: some Collection<UInt8>) -> Bool {
        guard let expectedBody else { return true }
        return body.prefix(Self.bodyCheckBytes).firstRange(of: expectedBody.utf8) != nil
    }

    /// Which endpoints are probed at all: enabled external ones of enabled profiles that are not `alwaysServe`.
    /// A parent never probes its nested child; the child's own endpoints are probed.
    public static func isProbed(_ endpoint: Endpoint, in profile: Profile) -> Bool {
        profile.isEnabled && endpoint.isEnabled && !endpoint.alwaysServe && endpoint.nested == nil
    }
}
