import TMRouting

/// Response rate limiting (RRL) as BIND, Knot and NSD do it, for one listener thread: identical responses (same
/// kind of answer, and for positive and no-data answers the same name and type) to one client network share an
/// account that earns `responsesPerSecond` credits a second, holds at most one second's worth, and may owe up to
/// `window` seconds' worth. A response finding the account in debt is dropped, or, every `slip`-th time, sent
/// truncated so that a real client behind a forged flood can still get its answer over TCP.
///
/// Memory is fixed: `bucketCount` buckets of 24 bytes (1.5 MiB), allocated when a listener first needs them and
/// indexed by a keyed hash; an account that hashes to a taken bucket takes it over (starting with a full
/// second's credit), so a table filled by many clients forgets some of them rather than grow. The table belongs to
/// one thread, so no lock is taken: a client whose queries the kernel spreads over several SO_REUSEPORT threads gets
/// up to that many times the rate.
public final class ResponseRateLimiter {
    public enum Action: Equatable, Sendable {
        case send
        /// Send the truncated form (`DNSResponder.truncate`).
        case slip
        case drop
    }

    public static let bucketCount = 1 << 16

    private struct Bucket {
        var key: UInt64 = 0
        var balance: Int32 = 0
        /// The whole second `balance` was last credited.
        var second: UInt32 = 0
        /// Limited responses since the last slip.
        var sinceSlip: UInt8 = 0
    }

    private let buckets: UnsafeMutablePointer<Bucket>
    /// Random per table, so that no client can choose names or addresses that land in another's bucket.
    private let hashKey: SipHashKey

    public init() {
        buckets = .allocate(capacity: Self.bucketCount)
        buckets.initialize(repeating: Bucket(), count: Self.bucketCount)
        var generator = SystemRandomNumberGenerator()
        hashKey = SipHashKey(bytes: (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })!
    }

    deinit { buckets.deallocate() }

    /// What to do with `response` (written into `out`) to `client` at monotonic second `now`.
    public func action(
        for response: WrittenResponse, in out: UnsafeRawBufferPointer, to client: IPAddress, policy: RateLimit,
        now: UInt32
    ) -> Action {
        if policy.exempt.contains(where: { $0.contains(client) }) { return .send }
        let key = accountKey(response, in: out, client: client, policy: policy)
        let rate = Int64(policy.responsesPerSecond)
        let bucket = buckets + Int(truncatingIfNeeded: key) & (Self.bucketCount - 1)
        let elapsed = Int64(now &- bucket.pointee.second)
        if bucket.pointee.key != key || elapsed >= Int64(policy.window) {
            bucket.pointee = Bucket(key: key, balance: Int32(rate), second: now, sinceSlip: 0)
        } else if elapsed > 0 {
            bucket.pointee.balance = Int32(min(rate, Int64(bucket.pointee.balance) + elapsed * rate))
            bucket.pointee.second = now
        }
        let floor = -min(rate * Int64(policy.window), Int64(Int32.max))
        bucket.pointee.balance = Int32(max(floor, Int64(bucket.pointee.balance) - 1))
        guard bucket.pointee.balance < 0 else { return .send }
        guard policy.slip > 0 else { return .drop }
        bucket.pointee.sinceSlip &+= 1
        guard Int(bucket.pointee.sinceSlip) >= policy.slip else { return .drop }
        bucket.pointee.sinceSlip = 0
        return .slip
    }

    /// Network, kind, and for positive and no-data answers the type and the name (without case), hashed. Negative
    /// answers and errors are counted per network and kind only, as BIND does, so that random names do not open
    /// fresh accounts.
    private func accountKey(
        _ response: WrittenResponse, in out: UnsafeRawBufferPointer, client: IPAddress, policy: RateLimit
    )
        -> UInt64
    {
        var hasher = SipHasher(key: hashKey)
        switch client {
        case .v4(let v4):
            hasher.append(4)
            hasher.appendBigEndian(v4.value & IPNetwork.mask32(policy.ipv4PrefixLength))
        case .v6(let v6):
            let (high, low) = IPNetwork.mask128(policy.ipv6PrefixLength)
            hasher.append(6)
            hasher.appendBigEndian(UInt32(truncatingIfNeeded: (v6.high & high) >> 32))
            hasher.appendBigEndian(UInt32(truncatingIfNeeded: v6.high & high))
            hasher.appendBigEndian(UInt32(truncatingIfNeeded: (v6.low & low) >> 32))
            hasher.appendBigEndian(UInt32(truncatingIfNeeded: v6.low & low))
        }
        hasher.append(response.kind.rawValue)
        if response.kind == .positive || response.kind == .noData, response.questionEnd > 12 {
            // The question as the response carries it: the name uncompressed, then type and class.
            for index in 12..<response.questionEnd - 2 {
                let byte = out[index]
                hasher.append(byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte)
            }
        }
        return hasher.finalize()
    }
}
