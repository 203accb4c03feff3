import Foundation
import TMRouting
import XCTest

@testable import TMWire

/// A loop of queries with cookies on and rate limiting applied, for counting what that query path allocates: run it
/// under valgrind with two loop counts and compare the growth of "total heap usage" with the same loop of plain
/// queries (`EDGETM_QUERY_MODE=plain`: no cookie, no limiter).
///
///     swift build --build-tests
///     objcopy --strip-debug .build/debug/edgetmPackageTests.xctest /tmp/wire-tests    # valgrind 3.19 vs DWARF 5
///     for mode in plain all; do for n in 1000 5000; do EDGETM_QUERY_MODE=$mode EDGETM_QUERY_LOOPS=$n \
///         valgrind /tmp/wire-tests --testing-library xctest TMWireTests.CookieAndLimiterAllocationTests 2>&1 \
///         | grep 'total heap usage'; done; done
///
/// Measured (debug build): both modes grow by the same ~1 allocation per loop, so cookies and the limiter add none
/// (a `reduce` in the cookie parser did add 24 a query before it became a loop). XCTest rather than Swift Testing
/// because valgrind 3.19 crashes in the Swift Testing runner.
final class CookieAndLimiterAllocationTests: XCTestCase {
    func testQueries() throws {
        let count = ProcessInfo.processInfo.environment["EDGETM_QUERY_LOOPS"].flatMap { Int($0) } ?? 1000
        let table = TestZone.table()
        let secrets = CookieSecrets(current: SipHashKey(bytes: Array(UInt8(0)...15))!)
        let policy = RateLimit(
            responsesPerSecond: 100, slip: 2, window: 5, ipv4PrefixLength: 24, ipv6PrefixLength: 56, exempt: [])
        let limiter = ResponseRateLimiter()
        let client = IPAddress("192.0.2.1")!
        let clientOnly = CookieTests.query(cookie: [1, 2, 3, 4, 5, 6, 7, 8])
        var out = [UInt8](repeating: 0, count: DNSResponder.maxResponseSize)
        // The first answer carries the server cookie the valid query sends back.
        let first = Self.answer(clientOnly, table, secrets, client, &out)
        let valid = CookieTests.query(cookie: CookieTests.returnedCookie(Array(out[0..<first.length]))!)
        if ProcessInfo.processInfo.environment["EDGETM_QUERY_MODE"] == "plain" {
            let plain = QueryBuilder.make("v4.tm.example", type: 1, edns: .init())
            var answered = 0
            for _ in 0..<count {
                let response = plain.withUnsafeBytes { packet in
                    out.withUnsafeMutableBytes {
                        DNSResponder.respond(to: packet, into: $0, table: table, transport: .udp, client: client)
                    }
                }
                if response?.kind == .positive { answered += 1 }
            }
            XCTAssertEqual(answered, count)
            return
        }
        var sent = 0
        var slipped = 0
        for index in 0..<count {
            let response = Self.answer(index % 2 == 0 ? clientOnly : valid, table, secrets, client, &out)
            let action = out.withUnsafeMutableBytes { out in
                let action = limiter.action(
                    for: response, in: UnsafeRawBufferPointer(out), to: client, policy: policy, now: 7)
                if action == .slip { _ = DNSResponder.truncate(response, in: out) }
                return action
            }
            if action == .send { sent += 1 }
            if action == .slip { slipped += 1 }
        }
        XCTAssertEqual(sent, min(count, 100))
        XCTAssertEqual(slipped, max(0, count - 100) / 2)
    }

    private static func answer(
        _ query: [UInt8], _ table: AnswerTable, _ secrets: CookieSecrets, _ client: IPAddress, _ out: inout [UInt8]
    ) -> WrittenResponse {
        query.withUnsafeBytes { packet in
            out.withUnsafeMutableBytes {
                DNSResponder.respond(
                    to: packet, into: $0, table: table, transport: .udp, client: client, cookies: secrets,
                    now: 1_700_000_000)!
            }
        }
    }
}
