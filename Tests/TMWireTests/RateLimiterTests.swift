import TMRouting
import Testing

@testable import TMWire

/// Response rate limiting without a network: accounts, slip, recovery, exemptions, with the clock passed in.
struct RateLimiterTests {
    static func policy(rate: Int = 5, slip: Int = 2, window: Int = 3, exempt: [String] = []) -> RateLimit {
        RateLimit(
            responsesPerSecond: rate, slip: slip, window: window, ipv4PrefixLength: 24, ipv6PrefixLength: 56,
            exempt: exempt.compactMap(IPNetwork.init))
    }

    /// What the limiter decides for `count` answers to `name` from `client` at second `now`.
    static func actions(
        _ limiter: ResponseRateLimiter, _ name: String, from client: String, count: Int, policy: RateLimit,
        now: UInt32
    ) -> [ResponseRateLimiter.Action] {
        let query = QueryBuilder.make(name, type: 1)
        return query.withUnsafeBytes { packet in
            var out = [UInt8](repeating: 0, count: DNSResponder.maxResponseSize)
            return out.withUnsafeMutableBytes { out in
                let response = DNSResponder.respond(to: packet, into: out, table: FramingTests.table, transport: .udp)!
                return (0..<count).map { _ in
                    limiter.action(
                        for: response, in: UnsafeRawBufferPointer(out), to: IPAddress(client)!, policy: policy,
                        now: now)
                }
            }
        }
    }

    @Test(arguments: [
        (2, [ResponseRateLimiter.Action.drop, .slip, .drop, .slip, .drop, .slip]),
        (1, [.slip, .slip, .slip, .slip, .slip, .slip]),
        (0, [.drop, .drop, .drop, .drop, .drop, .drop]),
        (3, [.drop, .drop, .slip, .drop, .drop, .slip]),
    ])
    func overTheRateEverySlipthIsTruncated(_ slip: Int, _ expected: [ResponseRateLimiter.Action]) {
        let limiter = ResponseRateLimiter()
        let actions = Self.actions(
            limiter, "v4.tm.example", from: "192.0.2.1", count: 11, policy: Self.policy(slip: slip), now: 100)
        #expect(Array(actions.prefix(5)) == [.send, .send, .send, .send, .send])
        #expect(Array(actions.dropFirst(5)) == expected)
    }

    @Test func creditComesBackWithTimeAndAFloodIsRememberedForTheWindow() {
        let limiter = ResponseRateLimiter()
        let policy = Self.policy(rate: 5, window: 3)
        // A flood of 100 in one second leaves the account at its floor: 15 responses owed.
        _ = Self.actions(limiter, "v4.tm.example", from: "192.0.2.1", count: 100, policy: policy, now: 100)
        // Two quiet seconds earn 10 credits: still in debt, still limited.
        #expect(
            !Self.actions(limiter, "v4.tm.example", from: "192.0.2.1", count: 1, policy: policy, now: 102).contains(
                .send))
        // After a whole window of quiet the account starts afresh, with one second's credit.
        let later = Self.actions(limiter, "v4.tm.example", from: "192.0.2.1", count: 6, policy: policy, now: 105)
        #expect(later.prefix(5).allSatisfy { $0 == .send } && later[5] != .send)
        // Within the rate, a steady client is never limited.
        let steady = ResponseRateLimiter()
        for second in UInt32(200)..<210 {
            #expect(
                Self.actions(steady, "v4.tm.example", from: "192.0.2.1", count: 5, policy: policy, now: second)
                    .allSatisfy { $0 == .send })
        }
    }

    @Test func accountsAreByNetworkKindAndName() {
        let limiter = ResponseRateLimiter()
        let policy = Self.policy(rate: 2)
        _ = Self.actions(limiter, "v4.tm.example", from: "192.0.2.1", count: 10, policy: policy, now: 100)
        // The same /24 shares the account; another network has its own.
        #expect(
            Self.actions(limiter, "v4.tm.example", from: "192.0.2.200", count: 1, policy: policy, now: 100) != [.send])
        #expect(
            Self.actions(limiter, "v4.tm.example", from: "198.51.100.1", count: 2, policy: policy, now: 100) == [
                .send, .send,
            ])
        // Another name (case aside) is another account; the same name in other case is the same one.
        #expect(
            Self.actions(limiter, "v6.tm.example", from: "192.0.2.1", count: 2, policy: policy, now: 100) == [
                .send, .send,
            ])
        #expect(
            Self.actions(limiter, "V4.TM.example", from: "192.0.2.1", count: 1, policy: policy, now: 100) != [.send])
        // NXDOMAIN answers share one account whatever the name, so random names open no fresh accounts.
        _ = Self.actions(limiter, "a.nowhere.tm.example", from: "192.0.2.1", count: 2, policy: policy, now: 100)
        #expect(
            Self.actions(limiter, "b.nowhere.tm.example", from: "192.0.2.1", count: 1, policy: policy, now: 100) != [
                .send
            ])
    }

    @Test func exemptNetworksAreNeverLimited() {
        let limiter = ResponseRateLimiter()
        let policy = Self.policy(rate: 1, exempt: ["192.0.2.0/24", "2001:db8::/32"])
        #expect(
            Self.actions(limiter, "v4.tm.example", from: "192.0.2.9", count: 50, policy: policy, now: 1).allSatisfy {
                $0 == .send
            })
        #expect(
            Self.actions(limiter, "v4.tm.example", from: "2001:db8::1", count: 50, policy: policy, now: 1).allSatisfy {
                $0 == .send
            })
        #expect(
            Self.actions(limiter, "v4.tm.example", from: "2001:db9::1", count: 2, policy: policy, now: 1) == [
                .send, .drop,
            ])
    }
}
