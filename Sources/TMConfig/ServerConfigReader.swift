import TMRouting

/// The server's own settings from `edgetm.json`, before profiles are read.
struct ServerSettings {
    var listen: [ListenAddress]
    var zone: ZoneConfig
    var profilesDirectory: String
    var statusAllow: [IPNetwork]
    var stateFile: String?
    var stateMaxAgeSeconds: Double
    var geo: GeoSettings
    var http: HTTPSettings?
    var rateLimit: RateLimit?
    /// `cookies.secretFile` as written (relative to the configuration directory); nil: cookies off.
    var cookieSecretFile: String?
    /// TLS files still relative to the configuration directory.
    var fleet: FleetSettings?
    var probeSourceAddresses: [IPAddress]
}

/// `http` in edgetm.json: the HTTP interface (metrics, health).
public struct HTTPSettings: Sendable, Equatable {
    public let listen: [ListenAddress]
    /// Clients outside these networks get 403.
    public let allow: [IPNetwork]
}

/// `geo` in edgetm.json: file paths, relative to the configuration directory.
struct GeoSettings {
    var database: String?
    var subnets: String?
}

/// Reads and validates `edgetm.json`.
enum ServerConfigReader {
    static let defaultListen = ["0.0.0.0:53", "[::]:53"].compactMap(ListenAddress.init)

    static func read(_ document: JSONValue, file: String, log: IssueLog) -> ServerSettings? {
        guard let root = ObjectReader(document, file: file, path: "", log: log) else { return nil }
        let listen = readListen(root)
        let zone = root.object("zone", required: true).flatMap(readZone)
        let profiles = root.string("profiles") ?? "profiles"
        let statusAllow = root.object("status").map(readStatus) ?? defaultStatusAllow
        let http = root.object("http").flatMap(readHTTP)
        let stateFile = root.string("stateFile")
        var geo = GeoSettings()
        if let section = root.object("geo") {
            geo = GeoSettings(database: section.string("database"), subnets: section.string("subnets"))
            section.finish()
        }
        let rateLimit = root.object("rateLimit").flatMap(readRateLimit)
        var cookieSecretFile: String?
        if let cookies = root.object("cookies") {
            cookieSecretFile = cookies.string("secretFile") ?? "cookie.secret"
            if cookieSecretFile?.isEmpty == true {
                cookies.error("secretFile", "must not be empty")
                cookieSecretFile = nil
            }
            cookies.finish()
        }
        let fleet = root.object("fleet").flatMap(FleetReader.read)
        let probeSourceAddresses = readProbeSources(root)
        let stateMaxAge =
            root.number("stateMaxAgeSeconds").flatMap { age -> Double? in
                guard age >= 0 else {
                    root.error("stateMaxAgeSeconds", "\(age) must not be negative")
                    return nil
                }
                return age
            } ?? 3600
        // `$schema` points editors at docs/schema/edgetm.schema.json; it means nothing to the server.
        root.finish(ignoring: ["$schema"])
        guard let zone, let listen else { return nil }
        return ServerSettings(
            listen: listen, zone: zone, profilesDirectory: profiles, statusAllow: statusAllow,
            stateFile: stateFile, stateMaxAgeSeconds: stateMaxAge, geo: geo, http: http, rateLimit: rateLimit,
            cookieSecretFile: cookieSecretFile, fleet: fleet, probeSourceAddresses: probeSourceAddresses)
    }

    /// A probe binds to the source of its connection's family, so more than one per family would be ambiguous.
    private static func readProbeSources(_ root: ObjectReader) -> [IPAddress] {
        guard let elements = root.array("probeSourceAddress") else { return [] }
        var addresses: [IPAddress] = []
        for (value, path) in elements {
            guard case .string(let text) = value, let address = IPAddress(text) else {
                root.error(atPath: path, "\(value.shortDescription) is not an IPv4 or IPv6 address")
                continue
            }
            addresses.append(address)
        }
        let v4 = addresses.filter { if case .v4 = $0 { true } else { false } }.count
        for (count, family) in [(v4, "IPv4"), (addresses.count - v4, "IPv6")] where count > 1 {
            root.error(
                "probeSourceAddress",
                "lists \(count == 2 ? "two" : "\(count)") \(family) addresses; give at most one of each family")
        }
        return addresses
    }

    /// Every key has a default (the values BIND suggests for an authoritative server), so `"rateLimit": {}` turns
    /// limiting on; `window` and `responsesPerSecond` are bounded so that a bucket's balance fits 32 bits.
    private static func readRateLimit(_ section: ObjectReader) -> RateLimit? {
        defer { section.finish() }
        let rate = section.integer("responsesPerSecond", in: 1...1_000_000) ?? 200
        let slip = section.integer("slip", in: 0...10) ?? 2
        let window = section.integer("window", in: 1...3600) ?? 15
        let v4 = section.integer("ipv4PrefixLength", in: 0...32) ?? 24
        let v6 = section.integer("ipv6PrefixLength", in: 0...128) ?? 56
        var exempt: [IPNetwork] = []
        for (value, path) in section.array("exempt") ?? [] {
            guard case .string(let text) = value, let network = IPNetwork(text) else {
                section.error(
                    atPath: path, "\(value.shortDescription) is not a network such as \"127.0.0.0/8\" or \"::1/128\"")
                continue
            }
            exempt.append(network)
        }
        return RateLimit(
            responsesPerSecond: Int(rate), slip: Int(slip), window: Int(window), ipv4PrefixLength: Int(v4),
            ipv6PrefixLength: Int(v6), exempt: exempt)
    }

    /// Status over DNS is for the operator's own machine unless configured otherwise.
    static let defaultStatusAllow = ["127.0.0.0/8", "::1/128"].compactMap(IPNetwork.init)

    private static func readStatus(_ status: ObjectReader) -> [IPNetwork] {
        defer { status.finish() }
        return readAllow(status)
    }

    /// `http`: where the HTTP interface listens (required) and who may use it (default: this machine only).
    private static func readHTTP(_ http: ObjectReader) -> HTTPSettings? {
        defer { http.finish() }
        let allow = readAllow(http)
        guard http.has("listen") else {
            http.error("listen", "is required: the addresses to serve HTTP on, such as [\"127.0.0.1:8053\"]")
            return nil
        }
        return readListen(http, defaultListen: []).map { HTTPSettings(listen: $0, allow: allow) }
    }

    /// `allow`: networks such as `127.0.0.0/8`; absent, this machine only.
    private static func readAllow(_ section: ObjectReader) -> [IPNetwork] {
        guard let elements = section.array("allow") else { return defaultStatusAllow }
        return elements.compactMap { value, path in
            guard case .string(let text) = value, let network = IPNetwork(text) else {
                section.error(
                    atPath: path, "\(value.shortDescription) is not a network such as \"127.0.0.0/8\" or \"::1/128\"")
                return nil
            }
            return network
        }
    }

    private static func readListen(_ root: ObjectReader, defaultListen: [ListenAddress] = defaultListen)
        -> [ListenAddress]?
    {
        guard let elements = root.array("listen") else { return root.has("listen") ? nil : defaultListen }
        var addresses: [ListenAddress] = []
        for (value, path) in elements {
            guard case .string(let text) = value, let address = ListenAddress(text) else {
                root.error(
                    atPath: path,
                    "\(value.shortDescription) is not an address and port such as \"127.0.0.1:53\" or \"[::1]:53\"")
                return nil
            }
            addresses.append(address)
        }
        if addresses.isEmpty { root.error("listen", "must list at least one address") }
        return addresses.isEmpty ? nil : addresses
    }

    private static func readZone(_ zone: ObjectReader) -> ZoneConfig? {
        let apex = zone.domainName("name", required: true)
        let soa = zone.object("soa", required: true).flatMap(readSOA)
        var nameservers: [DomainName] = []
        if let elements = zone.array("nameservers", required: true) {
            for (value, path) in elements {
                guard case .string(let text) = value, let name = DomainName(text), !name.labels.isEmpty else {
                    zone.error(atPath: path, "\(value.shortDescription) is not a valid domain name")
                    continue
                }
                nameservers.append(name)
            }
            if elements.isEmpty { zone.error("nameservers", "must list at least one name server") }
        }
        var addresses: [(name: DomainName, targets: [EndpointTarget])] = []
        if let table = zone.object("addresses") {
            addresses = readAddresses(table, apex: apex)
        }
        zone.finish()
        guard let apex, let soa, !nameservers.isEmpty else { return nil }
        return ZoneConfig(apex: apex, soa: soa, nameservers: nameservers, addresses: addresses)
    }

    private static func readSOA(_ soa: ObjectReader) -> ZoneConfig.SOA? {
        let mname = soa.domainName("mname", required: true)
        let rname = soa.domainName("rname", required: true)
        let result = mname.flatMap { mname in
            rname.map { rname in
                ZoneConfig.SOA(
                    mname: mname, rname: rname,
                    refresh: soa.uint32("refresh", default: 3600), retry: soa.uint32("retry", default: 600),
                    expire: soa.uint32("expire", default: 86400), minimum: soa.uint32("minimum", default: 30),
                    ttl: soa.uint32("ttl", default: 3600))
            }
        }
        soa.finish()
        return result
    }

    private static func readAddresses(_ table: ObjectReader, apex: DomainName?)
        -> [(name: DomainName, targets: [EndpointTarget])]
    {
        var result: [(name: DomainName, targets: [EndpointTarget])] = []
        for key in table.keys {
            guard let elements = table.array(key) else { continue }
            guard let name = DomainName(key) else {
                table.error(key, "\"\(key)\" is not a valid domain name: it \(DomainName.problem(with: key) ?? "")")
                continue
            }
            if let apex, !name.isSubdomain(of: apex) {
                table.error(key, "\(name) is outside the zone \(apex); only names inside it can have addresses")
                continue
            }
            var targets: [EndpointTarget] = []
            for (value, path) in elements {
                guard case .string(let text) = value, let target = EndpointTarget(text), target.isAddress else {
                    table.error(atPath: path, "\(value.shortDescription) is not an IPv4 or IPv6 address")
                    continue
                }
                targets.append(target)
            }
            if targets.isEmpty, elements.isEmpty { table.error(key, "must list at least one address") }
            result.append((name, targets))
        }
        return result
    }
}

extension EndpointTarget {
    var isAddress: Bool {
        if case .name = self { false } else { true }
    }
}
