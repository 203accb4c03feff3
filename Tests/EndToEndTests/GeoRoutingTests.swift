import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Geographic, Subnet, Weighted and MultiValue routing, nested profiles and EDNS Client Subnet, end to end: the real
/// daemon, geo databases written for the test (and the real 2018 GeoLite2 City database), answers read with dig.
/// Client locations come from `dig +subnet=...`; every query goes to the server on 127.0.0.1.
@Suite("geographic, subnet, weighted, multivalue and nested routing", .serialized)
struct GeoRoutingTests {
    typealias JSON = [String: Any]

    // MARK: - Configuration

    /// An external endpoint; unless `probed`, it is `alwaysServe` and never probed.
    static func external(
        _ name: String, _ target: String, enabled: Bool = true, probed: Bool = false,
        _ extra: JSON = [:]
    ) -> JSON {
        var properties: JSON = ["target": target, "endpointStatus": enabled ? "Enabled" : "Disabled"]
        if !probed { properties["alwaysServe"] = "Enabled" }
        properties.merge(extra) { $1 }
        return ["name": name, "type": "externalEndpoints", "properties": properties]
    }

    /// A nested endpoint (never probed itself). `alwaysServe` is left out only where the child's health is what the
    /// test is about; `resourceId` names the child by an ARM resource id instead of `target`.
    static func nested(
        _ name: String, child: String, enabled: Bool = true, alwaysServe: Bool = true,
        resourceId: Bool = false, _ extra: JSON = [:]
    ) -> JSON {
        var properties: JSON = ["endpointStatus": enabled ? "Enabled" : "Disabled"]
        if resourceId {
            properties["targetResourceId"] =
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/"
                + "providers/Microsoft.Network/trafficManagerProfiles/\(child)"
        } else {
            properties["target"] = child
        }
        if alwaysServe { properties["alwaysServe"] = "Enabled" }
        properties.merge(extra) { $1 }
        return [
            "name": name,
            "type": resourceId
                ? "Microsoft.Network/trafficManagerProfiles/nestedEndpoints"
                : "nestedEndpoints", "properties": properties,
        ]
    }

    struct ProfileFile {
        let name: String
        let text: String
    }

    /// A profile answering at `<name>.tm.example` (TTL 5). With `probePort`, its probed endpoints are checked every
    /// 0.25 s (timeout 0.2 s, no failure tolerated) on that port.
    static func profile(
        _ name: String, _ method: String, enabled: Bool = true, probePort: UInt16? = nil,
        maxReturn: Int? = nil, endpoints: [JSON]
    ) -> ProfileFile {
        var monitor: JSON = ["protocol": "HTTP", "port": Int(probePort ?? 80), "path": "/health"]
        if probePort != nil {
            monitor["intervalInSeconds"] = 0.25
            monitor["timeoutInSeconds"] = 0.2
            monitor["toleratedNumberOfFailures"] = 0
        }
        var properties: JSON = [
            "profileStatus": enabled ? "Enabled" : "Disabled",
            "trafficRoutingMethod": method,
            "dnsConfig": ["relativeName": name, "ttl": 5] as JSON,
            "monitorConfig": monitor,
            "endpoints": endpoints,
        ]
        if let maxReturn { properties["maxReturn"] = maxReturn }
        return ProfileFile(name: name, text: TestConfig.json(["name": name, "properties": properties] as JSON))
    }

    /// A configuration directory: the standard edgetm.json plus a `geo` section for the subnet map
    /// (`geo-subnets.json`) and a database, written by `MMDBFixture` from `database` (network → code) or given as
    /// an absolute path in `databaseFile`.
    static func config(
        _ profiles: [ProfileFile], subnetMap: [String: String]? = nil,
        database: [String: String]? = nil, databaseFile: URL? = nil
    ) throws -> TestConfig {
        guard var server = try JSONSerialization.jsonObject(with: Data(TestConfig.server().utf8)) as? JSON else {
            throw HarnessError("TestConfig.server() is not a JSON object")
        }
        var geo: [String: String] = [:]
        if subnetMap != nil { geo["subnets"] = "geo-subnets.json" }
        if database != nil { geo["database"] = "test.mmdb" }
        if let databaseFile { geo["database"] = databaseFile.path }
        if !geo.isEmpty { server["geo"] = geo }
        let files = Dictionary(profiles.map { ("\($0.name).json", $0.text) }, uniquingKeysWith: { first, _ in first })
        let config = try TestConfig(server: TestConfig.json(server), profiles: files)
        do {
            if let subnetMap {
                try Data(TestConfig.json(subnetMap).utf8).write(
                    to: config.url.appendingPathComponent("geo-subnets.json"))
            }
            if let database { try MMDBFixture.write(database, to: config.url.appendingPathComponent("test.mmdb")) }
        } catch {
            config.remove()
            throw error
        }
        return config
    }

    /// `check` must accept the configuration before it is served, so that a config mistake reads as one.
    static func requireValid(_ config: TestConfig, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try Command.edgetm(["check", "--config", config.path])
        try #require(
            result.status == 0, "edgetm check refused the test configuration:\n\(result.stderr)",
            sourceLocation: sourceLocation)
    }

    // MARK: - Queries

    static func dig(
        _ server: ServerProcess, _ name: String, _ type: String = "A",
        subnet: String? = nil
    ) throws -> DigResponse {
        try server.dig(["\(name).tm.example", type] + (subnet.map { ["+subnet=\($0)"] } ?? []))
    }

    /// Expects `name` to answer exactly `expected` of `type` (NODATA with the SOA when empty) under its own name,
    /// for a client in `subnet` (ECS, `ADDRESS/PREFIX`) or, without one, for the query's source 127.0.0.1; and, when
    /// given, the ECS scope the answer echoes. A query without ECS must get none back.
    @discardableResult
    static func expectAnswer(
        _ server: ServerProcess, _ name: String, _ type: String = "A", from subnet: String? = nil,
        _ expected: [String], scope: Int? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> DigResponse {
        let response = try dig(server, name, type, subnet: subnet)
        let what = "\(name) \(type) for \(subnet ?? "no ECS (source 127.0.0.1)")"
        #expect(response.status == "NOERROR", "\(what):\n\(response)", sourceLocation: sourceLocation)
        #expect(response.answerData(type) == expected.sorted(), "\(what):\n\(response)", sourceLocation: sourceLocation)
        #expect(
            response.answer.count == expected.count, "only \(type) records: \(what):\n\(response)",
            sourceLocation: sourceLocation)
        #expect(
            response.answer.allSatisfy { $0.name == "\(name).tm.example." },
            "answered under the queried name, not a child's: \(what):\n\(response)", sourceLocation: sourceLocation)
        if expected.isEmpty {
            #expect(
                response.authority.contains { $0.type == "SOA" }, "NODATA carries the SOA: \(what):\n\(response)",
                sourceLocation: sourceLocation)
        }
        if let subnet {
            let echo = response.clientSubnetEcho
            let source = subnet.split(separator: "/").last.flatMap { Int($0) }
            #expect(
                echo?.sourcePrefixLength == source, "ECS echoed with its source prefix: \(what):\n\(response)",
                sourceLocation: sourceLocation)
            if let scope {
                #expect(
                    echo?.scopePrefixLength == scope,
                    "scope /\(scope) expected, got \(echo.map(\.description) ?? "no ECS"): \(what):\n\(response)",
                    sourceLocation: sourceLocation)
            }
        } else {
            #expect(
                response.clientSubnetEcho == nil, "no ECS asked, none answered: \(what):\n\(response)",
                sourceLocation: sourceLocation)
        }
        return response
    }

    /// Polls until `name` answers exactly `[expected]` for the client; false after `limit` seconds.
    static func eventually(
        _ server: ServerProcess, _ name: String, from subnet: String? = nil, answers expected: String,
        within limit: Double = 5
    ) -> Bool {
        eventuallyTrue(within: limit) {
            (try? dig(server, name, subnet: subnet).answerData("A")) == [expected]
        }
    }

    // MARK: - The MEC example

    /// Geographic at the top, a Priority child per region (MEC first, the cloud region second), a WORLD endpoint.
    @Test("MEC example: region clients get their MEC, its region when the MEC is down, failback; others WORLD")
    func mecExample() throws {
        let port = try FreePort.pick()
        let addresses = ["127.0.0.21", "127.0.0.22", "127.0.0.31", "127.0.0.32"]
        let services = try addresses.map { try FailoverTests.HTTPEndpoint(address: $0, port: port) }
        defer { for service in services { service.kill() } }
        let (mec1, mec2) = (services[0], services[2])
        let config = try Self.config(
            [
                Self.profile(
                    "mec", "Geographic",
                    endpoints: [
                        Self.nested("region-1", child: "region1", ["geoMapping": ["GEO-EU"]]),
                        Self.nested("region-2", child: "region2", resourceId: true, ["geoMapping": ["GEO-NA"]]),
                        Self.external("world", "127.0.0.40", ["geoMapping": ["WORLD"]]),
                    ]),
                Self.profile(
                    "region1", "Priority", probePort: port,
                    endpoints: [
                        Self.external("mec-1", "127.0.0.21", probed: true),
                        Self.external("cloud-region-1", "127.0.0.22", probed: true),
                    ]),
                Self.profile(
                    "region2", "Priority", probePort: port,
                    endpoints: [
                        Self.external("mec-2", "127.0.0.31", probed: true),
                        Self.external("cloud-region-2", "127.0.0.32", probed: true),
                    ]),
            ], subnetMap: ["198.51.100.0/24": "DE", "203.0.113.0/24": "US-TX", "2001:db8:5::/48": "CA-ON"])
        defer { config.remove() }
        try Self.requireValid(config)
        let region1Client = "198.51.100.7/32"
        let region2Client = "203.0.113.9/32"
        let region2V6Client = "2001:db8:5::1/128"
        let otherClient = "192.0.2.1/32"
        try ServerProcess.with(config: config.url) { server in
            // Every endpoint is Online once probed.
            #expect(Self.eventually(server, "mec", from: region1Client, answers: "127.0.0.21"))
            usleep(600_000)
            try Self.expectAnswer(server, "mec", from: region1Client, ["127.0.0.21"], scope: 24)
            try Self.expectAnswer(server, "mec", from: "198.51.100.0/24", ["127.0.0.21"], scope: 24)
            try Self.expectAnswer(server, "mec", from: region2Client, ["127.0.0.31"], scope: 24)
            try Self.expectAnswer(server, "mec", from: region2V6Client, ["127.0.0.31"], scope: 48)
            try Self.expectAnswer(server, "mec", from: otherClient, ["127.0.0.40"], scope: 32)
            try Self.expectAnswer(server, "mec", "A", ["127.0.0.40"])
            // The children still answer under their own names, for anyone (scope 0: Priority does not look).
            try Self.expectAnswer(server, "region1", "A", ["127.0.0.21"])
            try Self.expectAnswer(server, "region2", from: region1Client, ["127.0.0.31"], scope: 0)

            // MEC-1 down: region 1's clients fail over to cloud region 1; region 2 and the others are untouched.
            mec1.kill()
            #expect(
                Self.eventually(server, "mec", from: region1Client, answers: "127.0.0.22"),
                "region 1 clients never moved to 127.0.0.22:\n\(server.log)")
            try Self.expectAnswer(server, "mec", from: region1Client, ["127.0.0.22"], scope: 24)
            try Self.expectAnswer(server, "region1", "A", ["127.0.0.22"])
            try Self.expectAnswer(server, "mec", from: region2Client, ["127.0.0.31"], scope: 24)
            try Self.expectAnswer(server, "mec", from: otherClient, ["127.0.0.40"], scope: 32)
            // Failback.
            try mec1.start()
            #expect(
                Self.eventually(server, "mec", from: region1Client, answers: "127.0.0.21"),
                "no failback to MEC-1:\n\(server.log)")
            try Self.expectAnswer(server, "region1", "A", ["127.0.0.21"])

            // Region 2 likewise, for its IPv4 and IPv6 clients.
            mec2.kill()
            #expect(
                Self.eventually(server, "mec", from: region2Client, answers: "127.0.0.32"),
                "region 2 clients never moved to 127.0.0.32:\n\(server.log)")
            try Self.expectAnswer(server, "mec", from: region2V6Client, ["127.0.0.32"], scope: 48)
            try Self.expectAnswer(server, "mec", from: region1Client, ["127.0.0.21"], scope: 24)
            try Self.expectAnswer(server, "region2", "A", ["127.0.0.32"])
            try mec2.start()
            #expect(
                Self.eventually(server, "mec", from: region2Client, answers: "127.0.0.31"),
                "no failback to MEC-2:\n\(server.log)")
            try Self.expectAnswer(server, "mec", from: region2V6Client, ["127.0.0.31"], scope: 48)
        }
    }

    // MARK: - Geographic matching

    /// The database (written for the test) and the subnet map of the Geographic tests.
    static let geoDatabase: [String: String] = [
        // Adjacent networks with the same data would be merged by the writer into one /23: these differ.
        "198.18.0.0/24": "US-CA",
        "198.18.1.0/24": "US-TX",
        "198.18.2.0/24": "US-NY",
        "198.18.3.0/24": "MX",
        "198.18.4.0/24": "AU",
        "198.18.5.0/24": "TR",
        "198.18.6.0/24": "RU",
        "198.18.7.0/24": "DE",
        "198.18.8.0/24": "GB-SCT",
        "198.18.9.0/24": "GB-ENG",
        "198.18.10.0/24": "IL",
        "198.18.11.0/24": "SA",
        "2001:db8:100::/48": "US-TX",
        "2001:db8:200::/48": "IL",
    ]

    static let geoSubnetMap: [String: String] = [
        "203.0.113.0/24": "US-TX",
        "203.0.113.128/25": "CA",
        "127.0.0.0/8": "BR",
    ]

    static func geographicConfig() throws -> TestConfig {
        try config(
            [
                profile(
                    "geo", "Geographic",
                    endpoints: [
                        external("state", "127.0.0.61", ["geoMapping": ["US-TX"]]),
                        external("country", "127.0.0.62", ["geoMapping": ["US"]]),
                        external("grouping", "127.0.0.63", ["geoMapping": ["GEO-NA"]]),
                        external("world", "127.0.0.64", ["geoMapping": ["WORLD"]]),
                        external("europe", "127.0.0.65", ["geoMapping": ["GEO-EU"]]),
                        external("germany", "127.0.0.66", enabled: false, ["geoMapping": ["DE"]]),
                        external("middle-east", "127.0.0.67", ["geoMapping": ["GEO-ME"]]),
                        external("south-america", "127.0.0.68", ["geoMapping": ["GEO-SA"]]),
                        external("scotland", "127.0.0.69", ["geoMapping": ["GB-SCT"]]),
                    ]),
                // No WORLD endpoint: clients nothing matches get NODATA.
                profile(
                    "nomatch", "Geographic",
                    endpoints: [
                        external("germany", "127.0.0.70", ["geoMapping": ["DE"]]),
                        external("france", "127.0.0.71", enabled: false, ["geoMapping": ["FR", "GEO-NA"]]),
                    ]),
                // Matches whose nested endpoint is Stopped answer NODATA, not the WORLD endpoint.
                profile(
                    "stopped", "Geographic",
                    endpoints: [
                        nested("us", child: "off-child", ["geoMapping": ["US"]]),
                        nested("europe", child: "empty-child", ["geoMapping": ["GEO-EU"]]),
                        external("world", "127.0.0.75", ["geoMapping": ["WORLD"]]),
                    ]),
                profile("off-child", "Priority", enabled: false, endpoints: [external("only", "127.0.0.77")]),
                profile("empty-child", "Priority", endpoints: [external("only", "127.0.0.78", enabled: false)]),
                profile("prio", "Priority", endpoints: [external("only", "127.0.0.76")]),
                // A Priority parent skips Stopped nested endpoints.
                profile(
                    "prio-stopped", "Priority",
                    endpoints: [
                        nested("off", child: "off-child"), nested("empty", child: "empty-child"),
                        external("last", "127.0.0.79"),
                    ]),
            ], subnetMap: geoSubnetMap, database: geoDatabase)
    }

    @Test("Most specific wins: state, then country, then grouping, then WORLD; disabled endpoints are skipped")
    func mostSpecificWins() throws {
        let config = try Self.geographicConfig()
        defer { config.remove() }
        try Self.requireValid(config)
        try ServerProcess.with(config: config.url) { server in
            // From the database.
            try Self.expectAnswer(server, "geo", from: "198.18.1.9/32", ["127.0.0.61"], scope: 24)  // US-TX: state
            try Self.expectAnswer(server, "geo", from: "198.18.2.9/32", ["127.0.0.62"], scope: 24)  // US-NY: country
            try Self.expectAnswer(server, "geo", from: "198.18.3.9/32", ["127.0.0.63"], scope: 24)  // MX: GEO-NA
            try Self.expectAnswer(server, "geo", from: "198.18.4.9/32", ["127.0.0.64"], scope: 32)  // AU: WORLD
            try Self.expectAnswer(server, "geo", from: "198.18.5.9/32", ["127.0.0.67"], scope: 24)  // TR: GEO-ME
            try Self.expectAnswer(server, "geo", from: "198.18.10.9/32", ["127.0.0.67"], scope: 24)  // IL: GEO-ME
            try Self.expectAnswer(server, "geo", from: "198.18.11.9/32", ["127.0.0.67"], scope: 24)  // SA: GEO-ME
            try Self.expectAnswer(server, "geo", from: "198.18.6.9/32", ["127.0.0.65"], scope: 24)  // RU: GEO-EU
            // DE's endpoint is disabled: matching skips it and goes on to GEO-EU.
            try Self.expectAnswer(server, "geo", from: "198.18.7.9/32", ["127.0.0.65"], scope: 24)
            try Self.expectAnswer(server, "geo", from: "198.18.8.9/32", ["127.0.0.69"], scope: 24)  // GB-SCT
            try Self.expectAnswer(server, "geo", from: "198.18.9.9/32", ["127.0.0.65"], scope: 24)  // GB-ENG: GEO-EU
            try Self.expectAnswer(server, "geo", from: "2001:db8:100::1/128", ["127.0.0.61"], scope: 48)
            try Self.expectAnswer(server, "geo", from: "2001:db8:200::/56", ["127.0.0.67"], scope: 48)
            try Self.expectAnswer(server, "geo", from: "2001:db8:300::1/64", ["127.0.0.64"], scope: 64)
            // From the subnet map: a state implies its country and grouping; the longest prefix wins.
            try Self.expectAnswer(server, "geo", from: "203.0.113.9/32", ["127.0.0.61"], scope: 24)
            try Self.expectAnswer(server, "geo", from: "203.0.113.200/32", ["127.0.0.63"], scope: 25)
            // Without ECS, the query's source 127.0.0.1 (mapped to BR) decides.
            try Self.expectAnswer(server, "geo", "A", ["127.0.0.68"])
            // `nomatch` maps DE only (its GEO-NA endpoint is disabled): German clients get it.
            try Self.expectAnswer(server, "nomatch", from: "198.18.7.9/32", ["127.0.0.70"], scope: 24)
        }
    }

    @Test("NODATA when nothing matches (no WORLD endpoint) and when the match is Stopped")
    func noDataCases() throws {
        let config = try Self.geographicConfig()
        defer { config.remove() }
        try Self.requireValid(config)
        try ServerProcess.with(config: config.url) { server in
            // No match: the source prefix is the scope.
            try Self.expectAnswer(server, "nomatch", from: "198.18.1.9/32", [], scope: 32)
            try Self.expectAnswer(server, "nomatch", from: "203.0.113.0/24", [], scope: 24)
            try Self.expectAnswer(server, "nomatch", from: "198.18.4.9/32", [], scope: 32)
            try Self.expectAnswer(server, "nomatch", "A", [])
            try Self.expectAnswer(server, "nomatch", "AAAA", from: "198.18.7.9/32", [], scope: 24)
            // Stopped matches: a disabled child (US), a child without enabled endpoints (GEO-EU).
            try Self.expectAnswer(server, "stopped", from: "198.18.1.9/32", [], scope: 24)
            try Self.expectAnswer(server, "stopped", from: "203.0.113.9/32", [], scope: 24)
            try Self.expectAnswer(server, "stopped", from: "198.18.6.9/32", [], scope: 24)
            try Self.expectAnswer(server, "stopped", from: "198.18.4.9/32", ["127.0.0.75"], scope: 32)
            // CA (from a /25 map entry) matches only WORLD: no single entry decided, the source is the scope.
            try Self.expectAnswer(server, "stopped", from: "203.0.113.200/32", ["127.0.0.75"], scope: 32)
            // The children themselves: the disabled one does not exist, the empty one has no data.
            let off = try Self.dig(server, "off-child", subnet: "198.18.1.9/32")
            #expect(off.status == "NXDOMAIN", "\(off)")
            #expect(off.clientSubnetEcho?.scopePrefixLength == 0, "NXDOMAIN does not depend on the client:\n\(off)")
            try Self.expectAnswer(server, "empty-child", from: "198.18.1.9/32", [], scope: 0)
            try Self.expectAnswer(server, "prio-stopped", "A", from: "198.18.1.9/32", ["127.0.0.79"], scope: 0)
        }
    }

    @Test(
        "ECS scope: the deciding entry's prefix, capped by the source; the source for WORLD; 0 when client-independent")
    func scopePrefixLengths() throws {
        let config = try Self.geographicConfig()
        defer { config.remove() }
        try Self.requireValid(config)
        try ServerProcess.with(config: config.url) { server in
            // Subnet-map /24 entry: a /24 or a /32 query gets 24.
            try Self.expectAnswer(server, "geo", from: "203.0.113.0/24", ["127.0.0.61"], scope: 24)
            try Self.expectAnswer(server, "geo", from: "203.0.113.77/32", ["127.0.0.61"], scope: 24)
            // Never longer than the source: a /16 query inside a /24 database network.
            try Self.expectAnswer(server, "geo", from: "198.18.0.0/16", ["127.0.0.62"], scope: 16)
            // WORLD: the source prefix, whatever it is.
            try Self.expectAnswer(server, "geo", from: "198.18.4.0/24", ["127.0.0.64"], scope: 24)
            try Self.expectAnswer(server, "geo", from: "192.0.2.0/28", ["127.0.0.64"], scope: 28)
            try Self.expectAnswer(server, "geo", from: "2001:db8:300::/56", ["127.0.0.64"], scope: 56)
            // Source prefix 0: "use the resolver's address", here 127.0.0.1 (BR), and scope 0.
            try Self.expectAnswer(server, "geo", from: "0.0.0.0/0", ["127.0.0.68"], scope: 0)
            try Self.expectAnswer(server, "geo", from: "::/0", ["127.0.0.68"], scope: 0)
            // Priority answers do not depend on the client.
            try Self.expectAnswer(server, "prio", from: "198.18.1.9/32", ["127.0.0.76"], scope: 0)
            try Self.expectAnswer(server, "prio", from: "2001:db8:100::/48", ["127.0.0.76"], scope: 0)
            let missing = try Self.dig(server, "no-such-profile", subnet: "198.18.1.9/32")
            #expect(missing.status == "NXDOMAIN", "\(missing)")
            #expect(
                missing.clientSubnetEcho
                    == ClientSubnetEcho(
                        address: "198.18.1.9", sourcePrefixLength: 32,
                        scopePrefixLength: 0), "\(missing)")
        }
    }

    @Test("The subnet map wins over the database for the same address")
    func subnetMapWinsOverDatabase() throws {
        let config = try Self.config(
            [
                Self.profile(
                    "wins", "Geographic",
                    endpoints: [
                        Self.external("germany", "127.0.0.71", ["geoMapping": ["DE"]]),
                        Self.external("united-states", "127.0.0.72", ["geoMapping": ["US"]]),
                        Self.external("texas", "127.0.0.73", ["geoMapping": ["US-TX"]]),
                    ])
            ], subnetMap: ["198.51.100.0/24": "DE", "2001:db8:5::/48": "US-TX"],
            database: ["198.51.100.0/23": "US", "2001:db8::/32": "DE"])
        defer { config.remove() }
        try Self.requireValid(config)
        try ServerProcess.with(config: config.url) { server in
            // The database says US for all of 198.51.100.0/23; the map says DE for its first /24.
            try Self.expectAnswer(server, "wins", from: "198.51.100.9/32", ["127.0.0.71"], scope: 24)
            try Self.expectAnswer(server, "wins", from: "198.51.101.9/32", ["127.0.0.72"], scope: 23)
            // IPv6: the database says DE for 2001:db8::/32; the map says US-TX for one /48.
            try Self.expectAnswer(server, "wins", from: "2001:db8:5::1/128", ["127.0.0.73"], scope: 48)
            try Self.expectAnswer(server, "wins", from: "2001:db8:6::1/128", ["127.0.0.71"], scope: 32)
        }
    }

    // MARK: - Subnet

    @Test("Subnet method: first/scope and first/last ranges, IPv4 and IPv6, fallback, NODATA without fallback")
    func subnetMethod() throws {
        let config = try Self.config([
            Self.profile(
                "subnet", "Subnet",
                endpoints: [
                    Self.external(
                        "cidr", "127.0.0.81",
                        [
                            "subnets": [
                                ["first": "192.0.2.0", "scope": 24], ["first": "2001:db8:1::", "scope": 48],
                            ]
                        ]),
                    Self.external(
                        "range", "127.0.0.82",
                        [
                            "subnets": [
                                ["first": "198.51.100.10", "last": "198.51.100.20"],
                                ["first": "2001:db8:2::1", "last": "2001:db8:2::ff"],
                            ]
                        ]),
                    // Disabled: its range does not exist, so its clients get the fallback.
                    Self.external(
                        "disabled", "127.0.0.83", enabled: false, ["subnets": [["first": "203.0.113.0", "scope": 24]]]),
                    Self.external("local", "127.0.0.86", ["subnets": [["first": "127.0.0.0", "scope": 8]]]),
                    Self.external("fallback", "127.0.0.84"),
                ]),
            Self.profile(
                "strict", "Subnet",
                endpoints: [
                    Self.external("only", "127.0.0.85", ["subnets": [["first": "192.0.2.0", "scope": 24]]])
                ]),
        ])
        defer { config.remove() }
        try Self.requireValid(config)
        try ServerProcess.with(config: config.url) { server in
            // A first/scope range: its scope.
            try Self.expectAnswer(server, "subnet", from: "192.0.2.77/32", ["127.0.0.81"], scope: 24)
            try Self.expectAnswer(server, "subnet", from: "192.0.2.0/24", ["127.0.0.81"], scope: 24)
            try Self.expectAnswer(server, "subnet", from: "2001:db8:1::5/128", ["127.0.0.81"], scope: 48)
            // A first-last range: the source prefix; its ends are inside, the next address is not.
            try Self.expectAnswer(server, "subnet", from: "198.51.100.10/32", ["127.0.0.82"], scope: 32)
            try Self.expectAnswer(server, "subnet", from: "198.51.100.20/32", ["127.0.0.82"], scope: 32)
            try Self.expectAnswer(server, "subnet", from: "198.51.100.21/32", ["127.0.0.84"], scope: 32)
            try Self.expectAnswer(server, "subnet", from: "198.51.100.9/32", ["127.0.0.84"], scope: 32)
            try Self.expectAnswer(server, "subnet", from: "2001:db8:2::10/128", ["127.0.0.82"], scope: 128)
            try Self.expectAnswer(server, "subnet", from: "2001:db8:2::100/128", ["127.0.0.84"], scope: 128)
            // The disabled endpoint's range is gone: fallback, with the source as scope.
            try Self.expectAnswer(server, "subnet", from: "203.0.113.5/32", ["127.0.0.84"], scope: 32)
            try Self.expectAnswer(server, "subnet", from: "203.0.113.0/24", ["127.0.0.84"], scope: 24)
            // Without ECS (or with source prefix 0) the query's source 127.0.0.1 decides.
            try Self.expectAnswer(server, "subnet", "A", ["127.0.0.86"])
            try Self.expectAnswer(server, "subnet", from: "0.0.0.0/0", ["127.0.0.86"], scope: 0)
            // No range and no fallback: NODATA.
            try Self.expectAnswer(server, "strict", from: "192.0.2.1/32", ["127.0.0.85"], scope: 24)
            try Self.expectAnswer(server, "strict", from: "198.51.100.1/32", [], scope: 32)
            try Self.expectAnswer(server, "strict", from: "2001:db8:1::1/64", [], scope: 64)
            try Self.expectAnswer(server, "strict", "A", [])
        }
    }

    // MARK: - Weighted

    @Test("Weighted 1:3 over 10,000 queries: within 3 percentage points; disabled endpoints get nothing")
    func weightedProportions() throws {
        let config = try Self.config([
            Self.profile(
                "weighted", "Weighted",
                endpoints: [
                    Self.external("light", "127.0.0.91", ["weight": 1]),
                    Self.external("heavy", "127.0.0.92", ["weight": 3]),
                    Self.external("disabled", "127.0.0.93", enabled: false, ["weight": 1000]),
                ])
        ])
        defer { config.remove() }
        try Self.requireValid(config)
        try ServerProcess.with(config: config.url) { server in
            let total = 10_000
            let tally = try Self.tallyAnswers(port: server.port, name: "weighted.tm.example", count: total)
            #expect(tally.problems.isEmpty, "\(tally.problems)")
            let light = tally.counts["127.0.0.91", default: 0]
            let heavy = tally.counts["127.0.0.92", default: 0]
            #expect(light + heavy == total, "every answer is one of the two enabled endpoints: \(tally.counts)")
            let share = Double(light) / Double(total)
            #expect(
                abs(share - 0.25) <= 0.03,
                "weight 1 of 4 got \(String(format: "%.1f", share * 100)) %: \(tally.counts)")
            // Weighted answers do not depend on the client.
            let echoed = try Self.dig(server, "weighted", subnet: "198.51.100.0/24")
            #expect(echoed.clientSubnetEcho?.scopePrefixLength == 0, "\(echoed)")
        }
    }

    struct Tally {
        var counts: [String: Int] = [:]
        var problems: [String] = []
    }

    /// `count` A queries for `name` over one UDP socket, one at a time; counts the single address each answer holds.
    static func tallyAnswers(port: UInt16, name: String, count: Int) throws -> Tally {
        let client = try UDPClient(port: port)
        var tally = Tally()
        for index in 0..<count where tally.problems.count <= 5 {
            let query = DNSWire.query(id: UInt16(truncatingIfNeeded: index &+ 1), name: name, type: RRType.a)
            guard let reply = client.exchange(query, timeout: 2) else {
                tally.problems.append("query \(index): no reply")
                continue
            }
            guard let message = try? DNSMessage(reply) else {
                tally.problems.append("query \(index): malformed reply \(reply)")
                continue
            }
            let addresses = message.answers.compactMap(\.address)
            if message.rcode != RCode.noError || addresses.count != 1 || message.answers.count != 1 {
                tally.problems.append("query \(index): \(message)")
            } else {
                tally.counts[addresses[0], default: 0] += 1
            }
        }
        return tally
    }

    // MARK: - MultiValue

    @Test("MultiValue: up to maxReturn A and AAAA records of enabled endpoints; the default is 2")
    func multiValue() throws {
        let config = try Self.config([
            Self.profile(
                "multi", "MultiValue", maxReturn: 3,
                endpoints: [
                    Self.external("a1", "127.0.0.101"), Self.external("a2", "127.0.0.102"),
                    Self.external("a3", "127.0.0.103"), Self.external("a4", "127.0.0.104"),
                    Self.external("off", "127.0.0.105", enabled: false),
                    Self.external("b1", "2001:db8::101"), Self.external("b2", "2001:db8::102"),
                ]),
            Self.profile(
                "multi-default", "MultiValue",
                endpoints: [
                    Self.external("a1", "127.0.0.101"), Self.external("a2", "127.0.0.102"),
                    Self.external("a3", "127.0.0.103"), Self.external("b1", "2001:db8::101"),
                ]),
            Self.profile(
                "multi-v4", "MultiValue", maxReturn: 10,
                endpoints: [
                    Self.external("a1", "127.0.0.101"), Self.external("off", "127.0.0.105", enabled: false),
                ]),
        ])
        defer { config.remove() }
        try Self.requireValid(config)
        try ServerProcess.with(config: config.url) { server in
            let v4 = Set(["127.0.0.101", "127.0.0.102", "127.0.0.103", "127.0.0.104"])
            for _ in 0..<3 {
                let a = try Self.dig(server, "multi", "A")
                #expect(a.status == "NOERROR")
                #expect(a.answer.count == 3 && a.answer.allSatisfy { $0.type == "A" }, "\(a)")
                #expect(Set(a.answerData("A")).count == 3 && Set(a.answerData("A")).isSubset(of: v4), "\(a)")
            }
            try Self.expectAnswer(server, "multi", "AAAA", ["2001:db8::101", "2001:db8::102"])
            let two = try Self.dig(server, "multi-default", "A")
            #expect(two.answer.count == 2 && Set(two.answerData("A")).isSubset(of: v4), "\(two)")
            try Self.expectAnswer(server, "multi-default", "AAAA", ["2001:db8::101"])
            try Self.expectAnswer(server, "multi-v4", "A", from: "198.51.100.0/24", ["127.0.0.101"], scope: 0)
            try Self.expectAnswer(server, "multi-v4", "AAAA", [])
        }
    }

    // MARK: - Nesting

    @Test("Nesting: 3 levels (and a chain of 10) answer the leaf's record under the queried name")
    func nestedLevels() throws {
        var chain: [ProfileFile] = []
        for level in 1...10 {
            let name = String(format: "c%02d", level)
            chain.append(
                level == 10
                    ? Self.profile(name, "Priority", endpoints: [Self.external("leaf", "127.0.0.120")])
                    : Self.profile(
                        name, "Priority",
                        endpoints: [
                            Self.nested("down", child: String(format: "c%02d", level + 1), resourceId: level % 2 == 0)
                        ]))
        }
        let config = try Self.config(
            [
                // Priority → Geographic → Priority.
                Self.profile("deep", "Priority", endpoints: [Self.nested("geo", child: "deep-geo", resourceId: true)]),
                Self.profile(
                    "deep-geo", "Geographic",
                    endpoints: [
                        Self.nested("europe", child: "deep-leaf", ["geoMapping": ["GEO-EU"]]),
                        Self.external("world", "127.0.0.114", ["geoMapping": ["WORLD"]]),
                    ]),
                Self.profile(
                    "deep-leaf", "Priority",
                    endpoints: [
                        Self.external("first", "127.0.0.112"), Self.external("second", "127.0.0.113"),
                    ]),
                // Priority → Weighted → Priority, the leaf a DNS name: one CNAME to it, no chain through child names.
                Self.profile("alias-top", "Priority", endpoints: [Self.nested("mid", child: "alias-mid")]),
                Self.profile(
                    "alias-mid", "Weighted", endpoints: [Self.nested("leaf", child: "alias-leaf", ["weight": 5])]),
                Self.profile("alias-leaf", "Priority", endpoints: [Self.external("origin", "origin.example.net")]),
                // An IPv6 leaf three levels down.
                Self.profile("v6-top", "Subnet", endpoints: [Self.nested("all", child: "v6-mid")]),
                Self.profile("v6-mid", "Priority", endpoints: [Self.nested("leaf", child: "v6-leaf")]),
                Self.profile("v6-leaf", "Priority", endpoints: [Self.external("edge", "2001:db8::115")]),
            ] + chain, subnetMap: ["198.51.100.0/24": "DE"])
        defer { config.remove() }
        try Self.requireValid(config)
        try ServerProcess.with(config: config.url) { server in
            try Self.expectAnswer(server, "deep", from: "198.51.100.9/32", ["127.0.0.112"], scope: 24)
            try Self.expectAnswer(server, "deep", from: "192.0.2.9/32", ["127.0.0.114"], scope: 32)
            try Self.expectAnswer(server, "deep", "A", ["127.0.0.114"])
            try Self.expectAnswer(server, "deep", "AAAA", from: "198.51.100.9/32", [], scope: 24)
            try Self.expectAnswer(server, "deep-geo", from: "198.51.100.9/32", ["127.0.0.112"], scope: 24)
            try Self.expectAnswer(server, "deep-leaf", "A", ["127.0.0.112"])

            for type in ["A", "AAAA"] {
                let alias = try Self.dig(server, "alias-top", type)
                #expect(alias.status == "NOERROR", "\(alias)")
                #expect(
                    alias.answer.map(\.description).map { $0.replacingOccurrences(of: " 5 IN ", with: " ") }
                        == ["alias-top.tm.example. CNAME origin.example.net."], "\(alias)")
                #expect(!alias.output.contains("alias-mid") && !alias.output.contains("alias-leaf"), "\(alias)")
            }

            try Self.expectAnswer(server, "v6-top", "AAAA", ["2001:db8::115"])
            try Self.expectAnswer(server, "v6-top", "A", [])

            try Self.expectAnswer(server, "c01", "A", ["127.0.0.120"])
            try Self.expectAnswer(server, "c05", "A", ["127.0.0.120"])
            let c01 = try Self.dig(server, "c01")
            #expect(!c01.output.contains("c02") && !c01.output.contains("c10"), "\(c01)")
        }
    }

    @Test("minChildEndpoints, minChildEndpointsIPv4 and minChildEndpointsIPv6 decide whether a child counts")
    func minChildEndpoints() throws {
        let port = try FreePort.pick()
        // Online: 127.0.0.51, 127.0.0.106, 127.0.0.108 (real HTTP services). 127.0.0.52 and 127.0.0.107 have
        // nothing listening: connection refused, Degraded.
        let online = try ["127.0.0.51", "127.0.0.106", "127.0.0.108"].map {
            try FailoverTests.HTTPEndpoint(address: $0, port: port)
        }
        var late: FailoverTests.HTTPEndpoint?
        defer {
            for service in online { service.kill() }
            late?.kill()
        }
        func threshold(_ key: String, _ value: Int) -> JSON { [key: value] }
        let config = try Self.config([
            // Children.
            Self.profile(
                "v6only", "Priority",
                endpoints: [
                    Self.external("v6-a", "2001:db8::61"), Self.external("v6-b", "2001:db8::62"),
                ]),
            Self.profile(
                "mixed", "Priority", probePort: port,
                endpoints: [
                    Self.external("down", "127.0.0.52", probed: true), Self.external("up", "127.0.0.51", probed: true),
                ]),
            Self.profile("spare", "Priority", endpoints: [Self.external("spare-v4", "127.0.0.53")]),
            Self.profile("spare6", "Priority", endpoints: [Self.external("spare-v6", "2001:db8::53")]),
            // Parents: the first nested endpoint counts only when the child meets its thresholds.
            Self.profile(
                "need-v4", "Priority",
                endpoints: [
                    Self.nested("first", child: "v6only", alwaysServe: false, threshold("minChildEndpointsIPv4", 1)),
                    Self.nested("second", child: "spare", alwaysServe: false),
                ]),
            Self.profile(
                "plain", "Priority",
                endpoints: [
                    Self.nested("first", child: "v6only", alwaysServe: false),
                    Self.nested("second", child: "spare", alwaysServe: false),
                ]),
            Self.profile(
                "need-v6", "Priority",
                endpoints: [
                    Self.nested("first", child: "mixed", alwaysServe: false, threshold("minChildEndpointsIPv6", 1)),
                    Self.nested("second", child: "v6only", alwaysServe: false),
                ]),
            Self.profile(
                "need-3v6", "Priority",
                endpoints: [
                    Self.nested("first", child: "v6only", alwaysServe: false, threshold("minChildEndpointsIPv6", 3)),
                    Self.nested("second", child: "spare6", alwaysServe: false),
                ]),
            Self.profile(
                "need-1", "Priority",
                endpoints: [
                    Self.nested("first", child: "mixed", alwaysServe: false),
                    Self.nested("second", child: "spare", alwaysServe: false),
                ]),
            Self.profile(
                "need-2", "Priority",
                endpoints: [
                    Self.nested("first", child: "mixed", alwaysServe: false, threshold("minChildEndpoints", 2)),
                    Self.nested("second", child: "spare", alwaysServe: false),
                ]),
            Self.profile(
                "need-2v4", "Priority",
                endpoints: [
                    Self.nested("first", child: "mixed", alwaysServe: false, threshold("minChildEndpointsIPv4", 2)),
                    Self.nested("second", child: "spare", alwaysServe: false),
                ]),
            // Both children Degraded (mixed once its endpoints are down): fail-open at the parent picks its first,
            // and mixed, failing open too, its first.
            Self.profile(
                "both", "Priority",
                endpoints: [
                    Self.nested("first", child: "mixed", alwaysServe: false),
                    Self.nested("second", child: "v6only", alwaysServe: false, threshold("minChildEndpointsIPv4", 1)),
                ]),
            // Geographic answers the matched endpoint whatever its health.
            Self.profile(
                "geo-degraded", "Geographic", probePort: port,
                endpoints: [
                    Self.external("down", "127.0.0.107", probed: true, ["geoMapping": ["WORLD"]])
                ]),
            // Weighted never picks a Degraded endpoint while another is available, whatever its weight.
            Self.profile(
                "weighted-probed", "Weighted", probePort: port,
                endpoints: [
                    Self.external("up", "127.0.0.106", probed: true, ["weight": 1]),
                    Self.external("down", "127.0.0.107", probed: true, ["weight": 1000]),
                ]),
            // MultiValue drops Degraded endpoints.
            Self.profile(
                "multi-probed", "MultiValue", probePort: port, maxReturn: 3,
                endpoints: [
                    Self.external("m1", "127.0.0.106", probed: true), Self.external("m2", "127.0.0.107", probed: true),
                    Self.external("m3", "127.0.0.108", probed: true), Self.external("m6", "2001:db8::109"),
                ]),
        ])
        defer { config.remove() }
        try Self.requireValid(config)
        try ServerProcess.with(config: config.url) { server in
            // Wait for the probes: mixed's first endpoint Degraded, so mixed answers its second.
            #expect(Self.eventually(server, "mixed", answers: "127.0.0.51"), "\(server.log)")
            #expect(
                eventuallyTrue(within: 5) {
                    (try? Self.dig(server, "multi-probed").answerData("A")) == ["127.0.0.106", "127.0.0.108"]
                }, "MultiValue never dropped the Degraded 127.0.0.107:\n\(server.log)")
            usleep(600_000)

            // v6only has two Online IPv6 endpoints and no IPv4 one.
            try Self.expectAnswer(server, "need-v4", "A", ["127.0.0.53"])
            try Self.expectAnswer(server, "need-v4", "AAAA", [])  // spare's leaf is IPv4
            try Self.expectAnswer(server, "plain", "AAAA", ["2001:db8::61"])
            try Self.expectAnswer(server, "plain", "A", [])
            try Self.expectAnswer(server, "need-3v6", "AAAA", ["2001:db8::53"])
            // mixed has IPv4 endpoints only.
            try Self.expectAnswer(server, "need-v6", "AAAA", ["2001:db8::61"])
            // mixed has one Online endpoint of two.
            try Self.expectAnswer(server, "need-1", "A", ["127.0.0.51"])
            try Self.expectAnswer(server, "need-2", "A", ["127.0.0.53"])
            try Self.expectAnswer(server, "need-2v4", "A", ["127.0.0.53"])
            try Self.expectAnswer(server, "multi-probed", "A", ["127.0.0.106", "127.0.0.108"])
            try Self.expectAnswer(server, "multi-probed", "AAAA", ["2001:db8::109"])
            try Self.expectAnswer(server, "geo-degraded", "A", ["127.0.0.107"])
            let weighted = try Self.tallyAnswers(port: server.port, name: "weighted-probed.tm.example", count: 200)
            #expect(weighted.problems.isEmpty && weighted.counts == ["127.0.0.106": 200], "\(weighted)")
            try Self.expectAnswer(server, "both", "A", ["127.0.0.51"])

            // Both of mixed's endpoints Online: it counts for every threshold, and answers its first.
            late = try FailoverTests.HTTPEndpoint(address: "127.0.0.52", port: port)
            #expect(Self.eventually(server, "need-2", answers: "127.0.0.52"), "\(server.log)")
            try Self.expectAnswer(server, "need-2v4", "A", ["127.0.0.52"])
            try Self.expectAnswer(server, "need-1", "A", ["127.0.0.52"])
            try Self.expectAnswer(server, "mixed", "A", ["127.0.0.52"])

            // None Online: mixed fails open for its own name, but its parents go on to their second endpoint.
            late?.kill()
            online[0].kill()
            #expect(Self.eventually(server, "need-1", answers: "127.0.0.53"), "\(server.log)")
            try Self.expectAnswer(server, "need-2", "A", ["127.0.0.53"])
            try Self.expectAnswer(server, "mixed", "A", ["127.0.0.52"])
            try Self.expectAnswer(server, "both", "A", ["127.0.0.52"])
        }
    }

    // MARK: - edgetm check

    static func nestedProfile(_ name: String, to child: String) -> ProfileFile {
        profile(name, "Priority", endpoints: [nested("down", child: child)])
    }

    @Test("check rejects nesting loops, chains of more than 10 profiles, missing children and bad method use")
    func checkRejectsBadNesting() throws {
        var profiles: [ProfileFile] = [
            Self.nestedProfile("loop-a", to: "loop-b"),
            Self.nestedProfile("loop-b", to: "loop-a"),
            Self.nestedProfile("self", to: "self"),
            Self.nestedProfile("orphan", to: "nowhere"),
            Self.profile("leaf", "Priority", endpoints: [Self.external("edge", "127.0.0.11")]),
            Self.profile(
                "multi", "MultiValue",
                endpoints: [
                    Self.external("a", "127.0.0.11"), Self.nested("child", child: "leaf"),
                ]),
            Self.profile("multi-name", "MultiValue", endpoints: [Self.external("alias", "origin.example.net")]),
            Self.profile(
                "overlap", "Subnet",
                endpoints: [
                    Self.external("a", "127.0.0.11", ["subnets": [["first": "192.0.2.0", "scope": 24]]]),
                    Self.external("b", "127.0.0.12", ["subnets": [["first": "192.0.2.128", "last": "192.0.3.5"]]]),
                ]),
        ]
        // d01 → d02 → ... → d11: 11 profiles; the chain from d02 holds 10, which is allowed.
        for level in 1...11 {
            let name = String(format: "d%02d", level)
            profiles.append(
                level == 11
                    ? Self.profile(name, "Priority", endpoints: [Self.external("leaf", "127.0.0.12")])
                    : Self.nestedProfile(name, to: String(format: "d%02d", level + 1)))
        }
        let config = try Self.config(profiles)
        defer { config.remove() }
        let result = try Command.edgetm(["check", "--config", config.path])
        #expect(result.status == 1, "stdout:\n\(result.stdout)\nstderr:\n\(result.stderr)")
        let lines = result.stderrLines
        let target = "properties.endpoints[0].properties.target"
        func reported(_ file: String, _ path: String, _ text: String) -> Bool {
            lines.contains { $0.hasPrefix("profiles/\(file).json: \(path): ") && $0.contains(text) }
        }
        #expect(reported("loop-a", target, "nesting loop"), "\(result.stderr)")
        #expect(reported("loop-b", target, "nesting loop"), "\(result.stderr)")
        #expect(reported("self", target, "nesting loop"), "\(result.stderr)")
        #expect(reported("orphan", target, "no profile is named"), "\(result.stderr)")
        #expect(reported("orphan", target, "nowhere"), "\(result.stderr)")
        #expect(reported("d01", target, "10"), "an 11-profile chain is refused:\n\(result.stderr)")
        #expect(!lines.contains { $0.hasPrefix("profiles/d02.json:") }, "a 10-profile chain is fine:\n\(result.stderr)")
        #expect(reported("multi", "properties.endpoints[1].properties.target", "nested"), "\(result.stderr)")
        #expect(reported("multi-name", target, "address"), "\(result.stderr)")
        #expect(reported("overlap", "properties.endpoints[1].properties.subnets[0]", "overlaps"), "\(result.stderr)")
        #expect(!lines.contains { $0.hasPrefix("profiles/leaf.json:") }, "\(result.stderr)")
        for line in lines {
            #expect(CheckCommandTests.isIssueLine(line), "not FILE: JSON.PATH: message: \(line)")
        }

        // The same chain from d02 on (10 profiles) checks OK.
        let fine = try Self.config(profiles.filter { $0.name.hasPrefix("d") && $0.name != "d01" })
        defer { fine.remove() }
        let ok = try Command.edgetm(["check", "--config", fine.path])
        #expect(ok.status == 0, "stderr:\n\(ok.stderr)")
    }

    // MARK: - The real GeoLite2 City database

    @Test(
        "GeoLite2 City 2018: 8.8.8.8 → US, 81.2.69.160 → GB, 200.160.2.3 → BR, scope from the database",
        .enabled(
            if: GeoLite2.shouldRun,
            """
            the GeoLite2 2018 database (pip maxminddb-geolite2==2018.703) is not installed and could not be \
            installed into /tmp/edgetm-geolite2; the line 'GeoLite2 test skipped:' on stderr says why
            """))
    func geoLite2() throws {
        let database = try GeoLite2.require()
        let config = try Self.config(
            [
                Self.profile(
                    "world", "Geographic",
                    endpoints: [
                        Self.external("us", "127.0.0.131", ["geoMapping": ["US"]]),
                        Self.external("gb", "127.0.0.132", ["geoMapping": ["GB"]]),
                        Self.external("br", "127.0.0.133", ["geoMapping": ["BR"]]),
                        Self.external("rest", "127.0.0.134", ["geoMapping": ["WORLD"]]),
                    ])
            ], databaseFile: database)
        defer { config.remove() }
        try Self.requireValid(config)
        try ServerProcess.with(config: config.url) { server in
            for (client, expected, family) in [
                ("8.8.8.8/32", "127.0.0.131", 32), ("81.2.69.160/32", "127.0.0.132", 32),
                ("200.160.2.3/32", "127.0.0.133", 32),
                ("2001:4860:4860::8888/128", "127.0.0.131", 128),
            ] {
                let response = try Self.expectAnswer(server, "world", from: client, [expected])
                let scope = response.clientSubnetEcho?.scopePrefixLength ?? -1
                #expect(scope > 0 && scope <= family, "the database network's prefix for \(client): \(response)")
            }
            // Loopback is in no database network: WORLD.
            try Self.expectAnswer(server, "world", "A", ["127.0.0.134"])
        }
    }
}
