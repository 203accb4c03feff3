import Foundation
import TMGeoIP
import TMRouting
import XCTest

/// A loop of client lookups through the geo database, for counting what the query path allocates: run it under
/// valgrind with two lookup counts; when the "total heap usage" figures match, lookups allocate nothing.
///
///     swift build --build-tests
///     objcopy --strip-debug .build/debug/edgetmPackageTests.xctest /tmp/geo-tests    # valgrind 3.19 vs DWARF 5
///     perl scripts/make-test-mmdb.pl /tmp/geo-test.mmdb '{"192.0.2.0/24": {"country": "US", "subdivision": "TX"}}'
///     for n in 1200 120000; do EDGETM_GEO_DATABASE=/tmp/geo-test.mmdb EDGETM_GEO_LOOKUPS=$n \
///         valgrind /tmp/geo-tests --testing-library xctest TMGeoIPTests.LookupAllocationTests 2>&1 \
///         | grep 'total heap usage'; done
///
/// XCTest rather than Swift Testing because valgrind 3.19 crashes in the Swift Testing runner; the database is
/// written beforehand because spawning perl fails under valgrind. Without `EDGETM_GEO_DATABASE` (a real GeoLite2
/// City file works too) the loop reads the database `MaxMindDatabaseTests` writes.
final class LookupAllocationTests: XCTestCase {
    /// Known state, unknown subdivision, UK nation, registered country only, unknown country, IPv6, no country, no
    /// entry; and addresses that the 2018 GeoLite2 City database places (US, GB, BR, US over IPv6).
    static let addresses = [
        "192.0.2.77", "198.51.100.1", "198.51.100.200", "203.0.113.1", "203.0.113.200", "2001:db8:1::1",
        "203.0.113.130", "10.0.0.1", "8.8.8.8", "81.2.69.160", "200.160.2.3", "2001:4860:4860::8888",
    ].map { IPAddress($0)! }

    func testLookups() throws {
        let environment = ProcessInfo.processInfo.environment
        let count = environment["EDGETM_GEO_LOOKUPS"].flatMap { Int($0) } ?? 1000
        let database =
            try environment["EDGETM_GEO_DATABASE"].map { try MaxMindDatabase(path: $0) }
            ?? MaxMindDatabaseTests.database.get()
        let locator = ClientLocator(subnets: [], database: database)
        // One round first, so that whatever the first lookup sets up once is outside the counted difference.
        var codes = Self.addresses.reduce(0) { $0 + locator.locate($1).codes.count }
        let perRound = codes
        for index in 0..<count {
            codes &+= locator.locate(Self.addresses[index % Self.addresses.count]).codes.count
        }
        if count % Self.addresses.count == 0 {
            XCTAssertEqual(codes, perRound * (count / Self.addresses.count + 1))
        }
        XCTAssertGreaterThan(codes, count)
    }
}
