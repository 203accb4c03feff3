/// Files for `https` endpoints; nil fields leave curl's defaults (the system CA store, no client certificate).
public struct EtcdTLS: Sendable, Equatable {
    /// PEM bundle the server certificate must chain to.
    public var caFile: String?
    /// PEM client certificate, for etcd started with `--client-cert-auth`.
    public var certFile: String?
    /// PEM private key of `certFile`.
    public var keyFile: String?

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }
}
