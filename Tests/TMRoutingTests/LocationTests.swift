import TMRouting
import Testing

/// Client location codes, pinned as tables: how a subnet-map code expands, and how a database's country and
/// subdivision become codes, for every branch including the odd inputs a database could hold.
struct LocationTests {
    /// A database that answers every address with one fixed location.
    struct FixedDatabase: LocationDatabase {
        let answer: DatabaseLocation?

        func locate(_ address: IPAddress) -> DatabaseLocation? { answer }
    }

    static func located(country: String?, subdivision: String?, prefixLength: Int = 16) -> ClientLocation {
        let answer = DatabaseLocation(country: country, subdivision: subdivision, prefixLength: prefixLength)
        return ClientLocator(subnets: [], database: FixedDatabase(answer: answer)).locate(IPAddress("192.0.2.1")!)
    }

    /// The expansion as it was before locations were prepared at load: the reference the prepared tables must match.
    static func referenceExpand(_ code: String) -> [String] {
        let upper = code.uppercased()
        if upper == "WORLD" { return ["WORLD"] }
        if upper.hasPrefix("GEO-") { return [upper, "WORLD"] }
        let country = String(upper.prefix(2))
        var codes = upper.count > 2 ? [upper, country] : [country]
        if let grouping = GeoHierarchy.grouping(of: country) { codes.append(grouping) }
        codes.append("WORLD")
        return codes
    }

    /// A database answer as it was turned into codes before locations were prepared at load.
    static func referenceCodes(country: String, subdivision: String?) -> [String] {
        let code = subdivision.map { "\(country)-\($0)" } ?? country
        var codes = referenceExpand(code)
        if subdivision != nil, !GeoHierarchy.isKnown(code) { codes.removeFirst() }
        return codes
    }

    @Test(arguments: [
        ("US-TX", ["US-TX", "US", "GEO-NA", "WORLD"]),
        ("us-tx", ["US-TX", "US", "GEO-NA", "WORLD"]),
        ("US", ["US", "GEO-NA", "WORLD"]),
        ("de", ["DE", "GEO-EU", "WORLD"]),
        ("WORLD", ["WORLD"]),
        ("world", ["WORLD"]),
        ("GEO-NA", ["GEO-NA", "WORLD"]),
        ("geo-xx", ["GEO-XX", "WORLD"]),  // a grouping is not checked against the hierarchy
        ("ZZ", ["ZZ", "WORLD"]),  // an unknown country has no grouping
        ("US-XX", ["US-XX", "US", "GEO-NA", "WORLD"]),  // expand does not check the subdivision either
        ("DE-BY", ["DE-BY", "DE", "GEO-EU", "WORLD"]),
        ("ZZ-A", ["ZZ-A", "ZZ", "WORLD"]),
        ("USA", ["USA", "US", "GEO-NA", "WORLD"]),  // the first two characters are the country
        ("U", ["U", "WORLD"]),
        ("", ["", "WORLD"]),
    ])
    func expandsACode(_ code: String, _ expected: [String]) {
        #expect(ClientLocation.expand(code) == expected)
    }

    @Test(
        arguments: [
            ("US", "TX", ["US-TX", "US", "GEO-NA", "WORLD"]),
            ("us", "tx", ["US-TX", "US", "GEO-NA", "WORLD"]),
            ("US", "tx", ["US-TX", "US", "GEO-NA", "WORLD"]),
            ("US", nil, ["US", "GEO-NA", "WORLD"]),
            ("US", "XX", ["US", "GEO-NA", "WORLD"]),  // an unknown subdivision drops to its country
            ("US", "", ["US", "GEO-NA", "WORLD"]),
            ("US", "TX-1", ["US", "GEO-NA", "WORLD"]),
            ("GB", "SCT", ["GB-SCT", "GB", "GEO-EU", "WORLD"]),
            ("GB", "ENG", ["GB-ENG", "GB", "GEO-EU", "WORLD"]),
            ("CA", "ON", ["CA-ON", "CA", "GEO-NA", "WORLD"]),
            ("AU", "NSW", ["AU-NSW", "AU", "GEO-AP", "WORLD"]),
            ("AU", "TX", ["AU", "GEO-AP", "WORLD"]),  // another country's subdivision is unknown here
            ("DE", "BY", ["DE", "GEO-EU", "WORLD"]),  // GeoLite2 knows subdivisions Azure does not
            ("FR", "IDF", ["FR", "GEO-EU", "WORLD"]),
            ("CG", nil, ["CG", "GEO-AF", "WORLD"]),
            ("AQ", nil, ["AQ", "GEO-AN", "WORLD"]),
            ("ZZ", nil, ["ZZ", "WORLD"]),  // an unknown country is kept, without a grouping
            ("EU", nil, ["EU", "WORLD"]),  // GeoIP's legacy continent codes are unknown countries
            ("ZZ", "A", ["ZZ", "WORLD"]),
            ("zz", nil, ["ZZ", "WORLD"]),
            ("", nil, ["", "WORLD"]),
            ("world", nil, ["WORLD"]),
            ("GEO", "NA", ["GEO-NA", "WORLD"]),
            ("GEO", "XX", ["WORLD"]),
            ("USA", nil, ["USA", "US", "GEO-NA", "WORLD"]),
            ("U", "S", ["U-", "WORLD"]),
            ("US", "\u{131}l", ["US-IL", "US", "GEO-NA", "WORLD"]),  // dotless i: uppercased, it names Illinois
            ("\u{DC}S", nil, ["\u{DC}S", "WORLD"]),
        ] as [(String, String?, [String])])
    func turnsADatabaseAnswerIntoCodes(_ country: String, _ subdivision: String?, _ expected: [String]) {
        let location = Self.located(country: country, subdivision: subdivision, prefixLength: 20)
        #expect(location == ClientLocation(codes: expected, prefixLength: 20, source: .database))
    }

    @Test func anAnswerWithoutACountryIsWorld() {
        let world = ClientLocation(codes: ["WORLD"], prefixLength: nil, source: .none)
        #expect(Self.located(country: nil, subdivision: "TX") == world)
        #expect(Self.located(country: nil, subdivision: nil) == world)
        let unknown = ClientLocator(subnets: [], database: FixedDatabase(answer: nil))
        #expect(unknown.locate(IPAddress("192.0.2.1")!) == world)
        #expect(ClientLocator.none.locate(IPAddress("2001:db8::1")!) == world)
    }

    /// Every two-letter country, upper and lower case, with each subdivision Azure knows, an unknown one, an empty
    /// one and none: the prepared tables give what the expansion used to build.
    @Test func everyCountryAndSubdivisionMatchesTheReference() {
        let letters = (UInt8(ascii: "A")...UInt8(ascii: "Z")).map { String(decoding: [$0], as: UTF8.self) }
        let countries = letters.flatMap { first in letters.map { first + $0 } }
        let known = ["TX", "DC", "ON", "YT", "NSW", "ACT", "WA", "SCT", "ENG", "NIR", "WLS", "QC"]
        let subdivisions: [String?] = [nil, "", "XX", "BY", "01", "123"] + known + known.map { $0.lowercased() }
        var mismatches: [String] = []
        for country in countries + countries.map({ $0.lowercased() }) {
            for subdivision in subdivisions {
                let found = Self.located(country: country, subdivision: subdivision)
                let expected = Self.referenceCodes(country: country, subdivision: subdivision)
                if found.codes != expected || found.prefixLength != 16 || found.source != .database {
                    mismatches.append("\(country)/\(subdivision ?? "nil"): \(found.codes) != \(expected)")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    @Test func theSubnetMapComesBeforeTheDatabase() {
        let database = FixedDatabase(answer: DatabaseLocation(country: "DE", subdivision: nil, prefixLength: 8))
        let locator = ClientLocator(
            subnets: [
                (IPNetwork("192.0.2.0/24")!, "FR"), (IPNetwork("192.0.2.128/25")!, "us-tx"),
                (IPNetwork("2001:db8::/32")!, "GEO-AS"),
            ], database: database)
        let table: [(String, ClientLocation)] = [
            ("192.0.2.1", ClientLocation(codes: ["FR", "GEO-EU", "WORLD"], prefixLength: 24, source: .subnets)),
            (
                "192.0.2.200",
                ClientLocation(
                    codes: ["US-TX", "US", "GEO-NA", "WORLD"], prefixLength: 25,
                    source: .subnets)
            ),
            ("2001:db8:1::1", ClientLocation(codes: ["GEO-AS", "WORLD"], prefixLength: 32, source: .subnets)),
            ("198.51.100.1", ClientLocation(codes: ["DE", "GEO-EU", "WORLD"], prefixLength: 8, source: .database)),
            ("2001:db9::1", ClientLocation(codes: ["DE", "GEO-EU", "WORLD"], prefixLength: 8, source: .database)),
        ]
        for (address, expected) in table {
            #expect(locator.locate(IPAddress(address)!) == expected, "\(address)")
        }
    }

    @Test func theHierarchyAnswersCaseInsensitively() {
        #expect(GeoHierarchy.grouping(of: "us") == "GEO-NA")
        #expect(GeoHierarchy.grouping(of: "US") == "GEO-NA")
        #expect(GeoHierarchy.grouping(of: "ZZ") == nil)
        #expect(GeoHierarchy.grouping(of: "US-TX") == nil)
        for code in ["world", "geo-eu", "us-tx", "gb-sct", "AQ"] { #expect(GeoHierarchy.isKnown(code)) }
        for code in ["", "GEO", "US-", "USA", "GB-ENGL"] { #expect(!GeoHierarchy.isKnown(code)) }
    }
}
