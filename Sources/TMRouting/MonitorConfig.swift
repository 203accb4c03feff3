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
    /// Consecutive successes that bring a Degraded endpoint back Online (edgetm extension; 1 is Azure's rule).
    public var requiredSuccesses: Int = 1
    public var expectedStatusCodes: [ClosedRange<Int>] = [200...200]
    public var customHeaders: [HTTPHeader] = []
    /// Text the start of the response body must contain (edgetm extension, after Route 53); nil checks no body.
    public var expectedBody: String?
    public var verifyCertificate = false

    public init() {}
}
