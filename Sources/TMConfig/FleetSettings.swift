import TMRouting

/// `fleet` in edgetm.json: the etcd cluster this server shares profiles and health with. With it, the profiles and
/// the geo subnet map come from etcd (written by `edgetm publish`); the server section stays local.
public struct FleetSettings: Sendable, Equatable {
    /// The etcd client URLs as written, each `http://` or `https://` with a host and port.
    public let etcd: [String]
    /// Every key of this fleet starts with it; it starts and ends with `/`.
    public let prefix: String
    /// This server's name among the fleet's vantage points: 1–63 of `A-Za-z0-9._-`.
    public let instance: String
    public let degradedWhen: DegradedWhen
    /// TLS files, resolved against the configuration directory; `certFile` and `keyFile` come together.
    public let caFile: String?
    public let certFile: String?
    public let keyFile: String?

    public init(
        etcd: [String], prefix: String = "/edgetm/", instance: String, degradedWhen: DegradedWhen = .majority,
        caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil
    ) {
        self.etcd = etcd
        self.prefix = prefix
        self.instance = instance
        self.degradedWhen = degradedWhen
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }
}
