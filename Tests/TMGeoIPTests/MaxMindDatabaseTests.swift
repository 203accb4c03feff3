import Foundation
import TMGeoIP
import TMRouting
import Testing

/// The database reader as a table of address -> country, subdivision and prefix, over a database written for the
/// test; then the locator on top of it.
struct MaxMindDatabaseTests {
    static func iso(_ code: String) -> [String: Any] { ["iso_code": code] }

    /// One network per branch of the reader.
    static var records: [String: [String: Any]] {
        [
            "192.0.2.0/24": ["country": iso("US"), "subdivisions": [iso("TX")]],
            "198.51.100.0/24": ["country": iso("DE"), "subdivisions": [iso("BY")]],
            "198.51.100.128/25": [
                "country": iso("GB"), "registered_country": iso("IE"),
                "subdivisions": [iso("SCT"), iso("GLG")],
            ],
            "203.0.113.0/25": ["registered_country": iso("FR")],
            "203.0.113.128/26": ["subdivisions": [iso("XX")]],
            "203.0.113.192/26": ["country": iso("ZZ")],
            "100.64.0.0/10": ["country": iso("us"), "subdivisions": [iso("tx")]],
            "100.128.0.0/9": ["country": iso("A-country-code-longer-than-fifteen-bytes")],
            "2001:db8:1::/48": ["country": iso("CA"), "subdivisions": [iso("ON")]],
            "2001:db8:2::/47": ["country": iso("JP")],
        ]
    }

    static let database: Result<MaxMindDatabase, any Error> = Result {
        try MaxMindDatabase(path: try RecordDatabase.write(records))
    }

    @Test(
        arguments: [
            ("192.0.2.77", DatabaseLocation(country: "US", subdivision: "TX", prefixLength: 24)),
            ("198.51.100.1", DatabaseLocation(country: "DE", subdivision: "BY", prefixLength: 25)),
            // The record's own country wins over the registered one; only the first subdivision counts.
            ("198.51.100.200", DatabaseLocation(country: "GB", subdivision: "SCT", prefixLength: 25)),
            ("203.0.113.1", DatabaseLocation(country: "FR", subdivision: nil, prefixLength: 25)),
            ("203.0.113.130", DatabaseLocation(country: nil, subdivision: "XX", prefixLength: 26)),
            ("203.0.113.200", DatabaseLocation(country: "ZZ", subdivision: nil, prefixLength: 26)),
            ("100.64.1.1", DatabaseLocation(country: "us", subdivision: "tx", prefixLength: 10)),
            (
                "100.200.0.1",
                DatabaseLocation(
                    country: "A-country-code-longer-than-fifteen-bytes", subdivision: nil,
                    prefixLength: 9)
            ),
            ("2001:db8:1::1", DatabaseLocation(country: "CA", subdivision: "ON", prefixLength: 48)),
            ("2001:db8:3:ffff::1", DatabaseLocation(country: "JP", subdivision: nil, prefixLength: 47)),
            // IPv4 through the ::ffff:0:0/96 alias is reported in IPv6 terms, as the database stores it.
            ("::ffff:192.0.2.1", DatabaseLocation(country: "US", subdivision: "TX", prefixLength: 120)),
        ] as [(String, DatabaseLocation)])
    func readsTheRecordOfTheNetwork(_ address: String, _ expected: DatabaseLocation) throws {
        let database = try Self.database.get()
        #expect(database.locate(IPAddress(address)!) == expected)
    }

    @Test(arguments: ["10.0.0.1", "2001:db9::1"])
    func findsNothingOutsideTheNetworks(_ address: String) throws {
        #expect(try Self.database.get().locate(IPAddress(address)!) == nil)
    }

    @Test func refusesAFileThatIsNoDatabase() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("edgetm-not-an-mmdb-\(getpid())")
        try Data("not a database".utf8).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        #expect(throws: MaxMindDatabase.OpenError.self) { try MaxMindDatabase(path: path.path) }
        #expect(throws: MaxMindDatabase.OpenError.self) { try MaxMindDatabase(path: path.path + ".missing") }
    }

    @Test(arguments: [
        ("192.0.2.77", ["US-TX", "US", "GEO-NA", "WORLD"], 24),
        ("198.51.100.1", ["DE", "GEO-EU", "WORLD"], 25),
        ("198.51.100.200", ["GB-SCT", "GB", "GEO-EU", "WORLD"], 25),
        ("203.0.113.1", ["FR", "GEO-EU", "WORLD"], 25),
        ("203.0.113.200", ["ZZ", "WORLD"], 26),
        ("100.64.1.1", ["US-TX", "US", "GEO-NA", "WORLD"], 10),
        ("100.200.0.1", ["A-COUNTRY-CODE-LONGER-THAN-FIFTEEN-BYTES", "A-", "WORLD"], 9),
        ("2001:db8:1::1", ["CA-ON", "CA", "GEO-NA", "WORLD"], 48),
        ("2001:db8:2::1", ["JP", "GEO-AS", "WORLD"], 47),
    ])
    func locatesClientsThroughTheDatabase(_ address: String, _ codes: [String], _ prefixLength: Int) throws {
        let locator = ClientLocator(subnets: [], database: try Self.database.get())
        #expect(
            locator.locate(IPAddress(address)!)
                == ClientLocation(codes: codes, prefixLength: prefixLength, source: .database))
    }

    @Test(arguments: ["203.0.113.130", "10.0.0.1"])
    func locatesClientsWithoutACountryAsWorld(_ address: String) throws {
        let locator = ClientLocator(subnets: [], database: try Self.database.get())
        let world = ClientLocation(codes: ["WORLD"], prefixLength: nil, source: .none)
        #expect(locator.locate(IPAddress(address)!) == world)
    }
}
