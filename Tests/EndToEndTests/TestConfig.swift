import Foundation

/// A configuration directory written by a test into its own temporary folder: `edgetm.json` and
/// `profiles/*.json`. Call `remove()` when done (in a `defer`).
struct TestConfig {
    struct Endpoint {
        var name: String
        var target: String
        var priority: Int
        var enabled = true
        /// Unmonitored endpoints are never probed: DNS tests get fixed answers and no probe leaves loopback.
        var alwaysServe = true
    }

    let directory: TemporaryDirectory
    var url: URL { directory.url }
    var path: String { directory.url.path }

    /// Writes `server` as edgetm.json and each `profiles` entry (file name → JSON text) under profiles/.
    init(server: String, profiles: [String: String]) throws {
        directory = try TemporaryDirectory("edgetm-e2e-config")
        let profilesURL = directory.file("profiles")
        try FileManager.default.createDirectory(at: profilesURL, withIntermediateDirectories: true)
        try Data(server.utf8).write(to: directory.file("edgetm.json"))
        for (file, text) in profiles {
            try Data(text.utf8).write(to: profilesURL.appendingPathComponent(file))
        }
    }

    func remove() { directory.remove() }

    // MARK: - JSON text

    static func json(_ object: Any) -> String {
        // The fixtures are literals: a failure is a bug in the test, and the crash names it.
        // swift-format-ignore: NeverUseForceTry
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// An edgetm.json for zone `tm.example.` with the SOA of the documentation (negative TTL 30); `extra` adds
    /// top-level keys (`rateLimit`, `cookies`).
    static func server(
        nameservers: [String] = ["ns1.tm.example."],
        addresses: [String: [String]] = ["ns1.tm.example.": ["127.0.0.1", "::1"]],
        listen: [String] = ["127.0.0.1:5353"], extra: [String: Any] = [:]
    ) -> String {
        json(
            extra.merging(
                [
                    "listen": listen,
                    "zone": [
                        "name": "tm.example.",
                        "soa": [
                            "mname": "ns1.tm.example.", "rname": "hostmaster.tm.example.", "refresh": 3600,
                            "retry": 600, "expire": 86400, "minimum": 30, "ttl": 3600,
                        ],
                        "nameservers": nameservers,
                        "addresses": addresses,
                    ] as [String: Any],
                    "profiles": "profiles",
                ] as [String: Any]
            ) { _, standard in standard })
    }

    /// A profile in the Azure resource shape (`properties` wrapper).
    static func profile(
        _ name: String, relativeName: String? = nil, ttl: Int = 30, enabled: Bool = true,
        endpoints: [Endpoint]
    ) -> String {
        json(
            [
                "name": name,
                "properties": [
                    "profileStatus": enabled ? "Enabled" : "Disabled",
                    "trafficRoutingMethod": "Priority",
                    "dnsConfig": ["relativeName": relativeName ?? name, "ttl": ttl] as [String: Any],
                    "monitorConfig": ["protocol": "HTTP", "port": 8080, "path": "/health"] as [String: Any],
                    "endpoints": endpoints.map { endpoint in
                        [
                            "name": endpoint.name, "type": "externalEndpoints",
                            "properties": [
                                "target": endpoint.target,
                                "endpointStatus": endpoint.enabled ? "Enabled" : "Disabled",
                                "priority": endpoint.priority,
                                "alwaysServe": endpoint.alwaysServe ? "Enabled" : "Disabled",
                            ] as [String: Any],
                        ] as [String: Any]
                    },
                ] as [String: Any],
            ] as [String: Any])
    }

    // MARK: - The configurations the tests serve

    /// What the standard zone's names answer, for the tests to compare against.
    enum Standard {
        static let nameservers = ["ns1.tm.example.", "ns2.tm.example."]
        static let ns1Addresses = ["127.0.0.1", "::1"]
        static let ns2Addresses = ["127.0.0.2"]
    }

    /// The zone most tests query:
    /// - `app`: IPv4 targets 127.0.0.11 (priority 1) and 127.0.0.12 (priority 2), TTL 30
    /// - `v6`: IPv6 target 2001:db8::10, TTL 60
    /// - `alias`: DNS-name target origin.example.net., TTL 45
    /// - `failover`: 192.0.2.1 disabled (1), 192.0.2.2 (2), 192.0.2.3 (3), TTL 20
    /// - `order`: 192.0.2.21 (priority 7) listed before 192.0.2.22 (priority 3)
    /// - `off`: a disabled profile with an enabled endpoint 192.0.2.31
    static func standard() throws -> TestConfig {
        try TestConfig(
            server: server(
                nameservers: Standard.nameservers,
                addresses: [
                    "ns1.tm.example.": Standard.ns1Addresses,
                    "ns2.tm.example.": Standard.ns2Addresses,
                ]),
            profiles: [
                "app.json": profile(
                    "app", ttl: 30,
                    endpoints: [
                        Endpoint(name: "mec-atlanta", target: "127.0.0.11", priority: 1),
                        Endpoint(name: "region-eastus", target: "127.0.0.12", priority: 2),
                    ]),
                "v6.json": profile(
                    "v6", ttl: 60,
                    endpoints: [
                        Endpoint(name: "edge-v6", target: "2001:db8::10", priority: 1)
                    ]),
                "alias.json": profile(
                    "alias", ttl: 45,
                    endpoints: [
                        Endpoint(name: "origin", target: "origin.example.net", priority: 1)
                    ]),
                "failover.json": profile(
                    "failover", ttl: 20,
                    endpoints: [
                        Endpoint(name: "first", target: "192.0.2.1", priority: 1, enabled: false),
                        Endpoint(name: "second", target: "192.0.2.2", priority: 2),
                        Endpoint(name: "third", target: "192.0.2.3", priority: 3),
                    ]),
                "order.json": profile(
                    "order",
                    endpoints: [
                        Endpoint(name: "late", target: "192.0.2.21", priority: 7),
                        Endpoint(name: "early", target: "192.0.2.22", priority: 3),
                    ]),
                "off.json": profile(
                    "off", enabled: false,
                    endpoints: [
                        Endpoint(name: "only", target: "192.0.2.31", priority: 1)
                    ]),
            ])
    }

    /// A zone whose apex NS answer (20 long in-zone names, each with an A and an AAAA glue record) is far larger
    /// than 512 bytes and than 1232 bytes.
    enum Large {
        static let nameserverCount = 20
        static func nameserver(_ index: Int) -> String {
            // The index is in the long label, so that compression cannot share it between names.
            "ns\(String(format: "%02d", index))-a-rather-long-nameserver-label-for-truncation-tests.tm.example."
        }
    }

    static func largeApex() throws -> TestConfig {
        try apex(nameservers: Large.nameserverCount, ipv6Glue: true)
    }

    /// `count` long in-zone name servers at the apex, each with an A (127.0.1.N) and optionally an AAAA (fd00::N)
    /// glue address, and the profile `app` (127.0.0.11).
    static func apex(nameservers count: Int, ipv6Glue: Bool) throws -> TestConfig {
        let names = (1...count).map(Large.nameserver)
        var addresses: [String: [String]] = [:]
        for (index, name) in names.enumerated() {
            addresses[name] = ["127.0.1.\(index + 1)"] + (ipv6Glue ? ["fd00::\(index + 1)"] : [])
        }
        return try TestConfig(
            server: server(nameservers: names, addresses: addresses),
            profiles: [
                "app.json": profile(
                    "app",
                    endpoints: [
                        Endpoint(name: "mec-atlanta", target: "127.0.0.11", priority: 1)
                    ])
            ])
    }
}
