/// What a location database knows of an address: its country and subdivision, and the size of the network that
/// answer covers (for ECS scopes).
public struct DatabaseLocation: Sendable, Hashable {
    public let country: String?
    /// ISO 3166-2 subdivision without the country, e.g. `TX`.
    public let subdivision: String?
    public let prefixLength: Int

    public init(country: String?, subdivision: String?, prefixLength: Int) {
        self.country = country
        self.subdivision = subdivision
        self.prefixLength = prefixLength
    }
}

/// A geo database (libmaxminddb's, in the daemon); routing only needs this much of it.
public protocol LocationDatabase: Sendable {
    func locate(_ address: IPAddress) -> DatabaseLocation?
}

/// Where a client is, as routing matches it: location codes from most to least specific
/// (`US-TX`, `US`, `GEO-NA`, `WORLD`), and the network that decided it.
public struct ClientLocation: Sendable, Hashable {
    public enum Source: String, Sendable {
        case subnets, database, none
    }

    public let codes: [String]
    /// The prefix length of the table entry that decided; nil when none did (only WORLD matched).
    public let prefixLength: Int?
    public let source: Source

    public init(codes: [String], prefixLength: Int?, source: Source) {
        self.codes = codes
        self.prefixLength = prefixLength
        self.source = source
    }

    /// A code and everything above it: a state implies its country, a country its grouping, all of them WORLD.
    public static func expand(_ code: String) -> [String] {
        let upper = code.uppercased()
        if upper == "WORLD" { return ["WORLD"] }
        if upper.hasPrefix("GEO-") { return [upper, "WORLD"] }
        let country = String(upper.prefix(2))
        let grouping = GeoHierarchy.grouping(of: country)
        var codes = upper.count > 2 ? [upper, country] : [country]
        if let grouping { codes.append(grouping) }
        codes.append("WORLD")
        return codes
    }
}

/// Finds a client's location: the operator's subnet map first (longest prefix wins), then the database.
public struct ClientLocator: Sendable {
    /// The subnet map as one table per prefix length, longest first: a lookup costs one hash probe per distinct
    /// length, however many entries the map has. Locations are expanded when the map is loaded.
    private let levels: [(prefixLength: Int, locations: [IPAddress: ClientLocation])]
    let database: (any LocationDatabase)?

    public init(subnets: [(network: IPNetwork, code: String)], database: (any LocationDatabase)?) {
        var byLength: [Int: [IPAddress: ClientLocation]] = [:]
        for (network, code) in subnets {
            byLength[network.prefixLength, default: [:]][network.address] = ClientLocation(
                codes: ClientLocation.expand(code), prefixLength: network.prefixLength, source: .subnets)
        }
        levels = byLength.sorted { $0.key > $1.key }.map { (prefixLength: $0.key, locations: $0.value) }
        self.database = database
    }

    public static let none = ClientLocator(subnets: [], database: nil)

    public func locate(_ address: IPAddress) -> ClientLocation {
        let maxLength = if case .v4 = address { 32 } else { 128 }
        for level in levels {
            guard level.prefixLength <= maxLength else { continue }
            if let found = level.locations[address.truncated(to: level.prefixLength)] { return found }
        }
        if let found = database?.locate(address), let country = found.country {
            let code = found.subdivision.map { "\(country)-\($0)" } ?? country
            var codes = ClientLocation.expand(code)
            // A subdivision the hierarchy does not know still leaves the country usable.
            if found.subdivision != nil, !GeoHierarchy.isKnown(code) { codes.removeFirst() }
            return ClientLocation(codes: codes, prefixLength: found.prefixLength, source: .database)
        }
        return ClientLocation(codes: ["WORLD"], prefixLength: nil, source: .none)
    }
}

/// Azure's hierarchy as lookups, built once from `AzureGeography`.
public enum GeoHierarchy {
    static let groupingByCountry: [String: String] = {
        var table: [String: String] = [:]
        for (grouping, countries) in AzureGeography.countriesByGrouping {
            for country in countries { table[country] = grouping }
        }
        return table
    }()

    static let allCodes: Set<String> = {
        var codes: Set<String> = ["WORLD"]
        codes.formUnion(AzureGeography.countriesByGrouping.keys)
        codes.formUnion(AzureGeography.countriesByGrouping.values.joined())
        codes.formUnion(AzureGeography.subdivisionsByCountry.values.joined())
        return codes
    }()

    public static func grouping(of country: String) -> String? { groupingByCountry[country.uppercased()] }

    /// Whether `code` is WORLD, a grouping, a country or a state/province of Azure's table.
    public static func isKnown(_ code: String) -> Bool { allCodes.contains(code.uppercased()) }
}
