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
/// Lookups allocate nothing: subnet-map locations are expanded when the map is loaded, and ISO-coded database
/// answers index codes prepared for every two-letter country (`GeoHierarchy.preparedCountries`); a lookup returns
/// a shared array. The tables are immutable, so the listener threads read them without locks.
public struct ClientLocator: Sendable {
    /// The subnet map as one table per prefix length, longest first: a lookup costs one hash probe per distinct
    /// length, however many entries the map has. Locations are expanded when the map is loaded.
    private let levels: [(prefixLength: Int, locations: [IPAddress: ClientLocation])]
    let database: (any LocationDatabase)?
    /// Held rather than read from the globals, so that they are built with the locator and queries only index them.
    private let countries: [GeoHierarchy.PreparedCountry]
    private let unlocated: ClientLocation

    public init(subnets: [(network: IPNetwork, code: String)], database: (any LocationDatabase)?) {
        var byLength: [Int: [IPAddress: ClientLocation]] = [:]
        for (network, code) in subnets {
            byLength[network.prefixLength, default: [:]][network.address] = ClientLocation(
                codes: ClientLocation.expand(code), prefixLength: network.prefixLength, source: .subnets)
        }
        levels = byLength.sorted { $0.key > $1.key }.map { (prefixLength: $0.key, locations: $0.value) }
        self.database = database
        countries = GeoHierarchy.preparedCountries
        unlocated = ClientLocation(codes: ["WORLD"], prefixLength: nil, source: .none)
    }

    public static let none = ClientLocator(subnets: [], database: nil)

    public func locate(_ address: IPAddress) -> ClientLocation {
        let maxLength = if case .v4 = address { 32 } else { 128 }
        for level in levels where level.prefixLength <= maxLength {
            if let found = level.locations[address.truncated(to: level.prefixLength)] { return found }
        }
        if let found = database?.locate(address), let country = found.country {
            return ClientLocation(
                codes: codes(country: country, subdivision: found.subdivision),
                prefixLength: found.prefixLength, source: .database)
        }
        return unlocated
    }

    /// A database answer's codes, shared from the prepared tables when the answer is ISO-shaped: two ASCII letters
    /// and a subdivision without lower case or non-ASCII. Other answers (never seen in GeoIP2 or DB-IP data) are
    /// composed as they come, since uppercasing them could turn them into known codes.
    private func codes(country: String, subdivision: String?) -> [String] {
        if let index = GeoHierarchy.countryIndex(country) {
            let prepared = countries[index]
            guard let subdivision else { return prepared.codes }
            if let codes = prepared.subdivisions[subdivision] { return codes }
            // Unknown however it is cased: the answer drops to its country.
            if GeoHierarchy.isCaseStable(subdivision) { return prepared.codes }
        }
        return GeoHierarchy.codes(country: country, subdivision: subdivision)
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

    /// A database answer's codes, most specific first: the expansion of `CC-SUB` (or `CC`), less a subdivision the
    /// hierarchy does not know, which still leaves the country usable. Builds strings: the query path takes these
    /// from `preparedCountries`.
    static func codes(country: String, subdivision: String?) -> [String] {
        let code = subdivision.map { "\(country)-\($0)" } ?? country
        var codes = ClientLocation.expand(code)
        if subdivision != nil, !isKnown(code) { codes.removeFirst() }
        return codes
    }

    /// One two-letter country's database codes, prepared: alone (and with any subdivision the hierarchy does not
    /// know), and with each subdivision it knows, keyed as databases give it (`TX` for `US-TX`).
    struct PreparedCountry: Sendable {
        let codes: [String]
        let subdivisions: [String: [String]]
    }

    /// Every two-letter country `AA`...`ZZ`, known or not, at `countryIndex`: 676 entries, so that any ISO-shaped
    /// answer finds shared codes. Made by `codes(country:subdivision:)` itself, so the two cannot disagree.
    static let preparedCountries: [PreparedCountry] = {
        var subdivisionsByCountry: [String: [String]] = [:]
        for code in allCodes {
            let parts = code.split(separator: "-", maxSplits: 1)
            guard parts.count == 2, parts[0].utf8.count == 2 else { continue }
            subdivisionsByCountry[String(parts[0]), default: []].append(String(parts[1]))
        }
        let letters = (UInt8(ascii: "A")...UInt8(ascii: "Z")).map { String(UnicodeScalar($0)) }
        return letters.flatMap { first in
            letters.map { second in
                let country = first + second
                let subdivisions = subdivisionsByCountry[country, default: []].map {
                    ($0, codes(country: country, subdivision: $0))
                }
                return PreparedCountry(
                    codes: codes(country: country, subdivision: nil),
                    subdivisions: Dictionary(uniqueKeysWithValues: subdivisions))
            }
        }
    }()

    /// The index in `preparedCountries` of a two-letter ASCII country in either case (its codes are uppercased
    /// anyway), or nil for anything else.
    static func countryIndex(_ country: String) -> Int? {
        let utf8 = country.utf8
        guard utf8.count == 2, let first = letterIndex(utf8[utf8.startIndex]),
            let second = letterIndex(utf8[utf8.index(after: utf8.startIndex)])
        else { return nil }
        return first * 26 + second
    }

    /// Whether uppercasing leaves `text` as it is: ASCII without lower-case letters. Only then does a failed exact
    /// lookup mean the hierarchy does not know it.
    static func isCaseStable(_ text: String) -> Bool {
        !text.utf8.contains { $0 >= 0x80 || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
    }

    /// 0...25 for an ASCII letter in either case.
    private static func letterIndex(_ byte: UInt8) -> Int? {
        let lower = byte | 0x20
        return (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(lower) ? Int(lower - UInt8(ascii: "a")) : nil
    }
}
