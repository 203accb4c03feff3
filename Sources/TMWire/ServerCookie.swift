import TMRouting

/// The secrets server cookies are made and checked with: the current one, and after a rotation the previous one,
/// which still verifies until `previousUntil` so that clients holding its cookies are not turned away at once.
public struct CookieSecrets: Sendable, Equatable {
    public let current: SipHashKey
    public let previous: SipHashKey?
    /// Unix seconds; the previous secret verifies nothing after it.
    public let previousUntil: UInt32

    public init(current: SipHashKey, previous: SipHashKey? = nil, previousUntil: UInt32 = 0) {
        self.current = current
        self.previous = previous
        self.previousUntil = previousUntil
    }
}

/// A COOKIE option (RFC 7873 §4) as a query sent it: the client cookie, and the server cookie when it has the
/// RFC 9018 form (16 bytes: version, reserved, timestamp, hash). Kept as words, so that parsing copies no bytes.
struct QueryCookie: Equatable {
    /// The 8 client-cookie bytes, the first in the high bits.
    let client: UInt64
    /// 0 when the query had only a client cookie; 8 to 32 otherwise.
    let serverLength: Int
    /// Version, reserved and timestamp, the first byte in the high bits; meaningful when `serverLength` is 16.
    let serverHead: UInt64
    /// The hash bytes, the first in the high bits.
    let serverHash: UInt64

    /// Nil when the option's length is not one RFC 7873 §5.2.2 allows (8, or 16 to 40): a FORMERR.
    init?(_ data: UnsafeRawBufferPointer) {
        guard data.count == 8 || (16...40).contains(data.count) else { return nil }
        client = Self.word(data, at: 0)
        serverLength = data.count - 8
        serverHead = serverLength == 16 ? Self.word(data, at: 8) : 0
        serverHash = serverLength == 16 ? Self.word(data, at: 16) : 0
    }

    /// A plain loop: a `reduce` over a range allocated on every call in debug builds (seen with valgrind).
    private static func word(_ data: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in offset..<offset + 8 { value = value << 8 | UInt64(data[index]) }
        return value
    }
}

/// What a query's cookie amounted to; rate limiting lets `valid` through, since a client that returns our cookie
/// has shown it receives at the address it claims.
public enum CookieVerdict: Sendable {
    /// No COOKIE option, or cookies are off.
    case none
    case clientOnly
    case valid
    /// Wrong hash, too old, from the future, or not of the RFC 9018 form.
    case invalid
}

/// Server cookies as RFC 9018 makes them, so that every server of a fleet sharing the secret accepts the others':
/// version 1, three reserved bytes, a 32-bit Unix timestamp and SipHash-2-4 over client cookie, version, reserved,
/// timestamp and client address.
enum ServerCookie {
    static let version: UInt64 = 1
    /// RFC 9018 §4.3: a cookie older than an hour, or more than five minutes ahead of our clock, is not ours.
    static let lifetime: UInt32 = 3600
    static let allowedSkew: UInt32 = 300

    /// The version, zero reserved bytes and `now`: the first 8 bytes of a fresh server cookie.
    static func head(now: UInt32) -> UInt64 { version << 56 | UInt64(now) }

    /// The hash bytes of the server cookie with `head`, for `client` at `address`, the first byte in the high bits.
    static func hash(client: UInt64, head: UInt64, address: IPAddress, key: SipHashKey) -> UInt64 {
        var hasher = SipHasher(key: key)
        for shift in stride(from: 56, through: 0, by: -8) { hasher.append(UInt8(truncatingIfNeeded: client >> shift)) }
        for shift in stride(from: 56, through: 0, by: -8) { hasher.append(UInt8(truncatingIfNeeded: head >> shift)) }
        switch address.cookieForm {
        case .v4(let v4): hasher.appendBigEndian(v4.value)
        case .v6(let v6):
            hasher.appendBigEndian(UInt32(truncatingIfNeeded: v6.high >> 32))
            hasher.appendBigEndian(UInt32(truncatingIfNeeded: v6.high))
            hasher.appendBigEndian(UInt32(truncatingIfNeeded: v6.low >> 32))
            hasher.appendBigEndian(UInt32(truncatingIfNeeded: v6.low))
        }
        // The reference implementation writes its result little-endian: that is the byte order on the wire.
        return hasher.finalize().byteSwapped
    }

    static func verdict(_ cookie: QueryCookie, address: IPAddress, secrets: CookieSecrets, now: UInt32)
        -> CookieVerdict
    {
        guard cookie.serverLength > 0 else { return .clientOnly }
        guard cookie.serverLength == 16, cookie.serverHead >> 56 == version else { return .invalid }
        // Serial-number arithmetic (RFC 1982), as RFC 9018 asks: the timestamp wraps in 2106.
        let age = Int32(bitPattern: now &- UInt32(truncatingIfNeeded: cookie.serverHead))
        guard age <= Int32(lifetime), age >= -Int32(allowedSkew) else { return .invalid }
        if hash(client: cookie.client, head: cookie.serverHead, address: address, key: secrets.current)
            == cookie.serverHash
        {
            return .valid
        }
        if let previous = secrets.previous, Int32(bitPattern: secrets.previousUntil &- now) >= 0,
            hash(client: cookie.client, head: cookie.serverHead, address: address, key: previous) == cookie.serverHash
        {
            return .valid
        }
        return .invalid
    }
}

/// The COOKIE option a response carries: the client's cookie and a fresh server cookie.
struct ResponseCookie {
    let client: UInt64
    let serverHead: UInt64
    let serverHash: UInt64

    /// The option's length on the wire: code, length, 8 + 16 bytes.
    static let optionLength = 4 + 24

    init(client: UInt64, address: IPAddress, secrets: CookieSecrets, now: UInt32) {
        self.client = client
        serverHead = ServerCookie.head(now: now)
        serverHash = ServerCookie.hash(client: client, head: serverHead, address: address, key: secrets.current)
    }
}

extension IPAddress {
    /// An IPv4 client seen on a dual-stack socket is hashed as IPv4, so that it gets the cookie an IPv4-only
    /// server of the fleet would give it.
    fileprivate var cookieForm: IPAddress {
        if case .v6(let v6) = self, v6.high == 0, v6.low >> 32 == 0xffff {
            return .v4(IPv4Address(UInt32(truncatingIfNeeded: v6.low)))
        }
        return self
    }
}

extension CookieSecrets {
    /// RFC 9018 §5: after a rotation the previous secret stays valid this long, the lifetime of its cookies.
    public static let rotationGrace: UInt32 = 3600

    /// The secrets after loading `key` at `now` (a start or a reload): nil when cookies are off; the same when the
    /// key did not change; otherwise `key`, with the secret it replaces still verifying for `rotationGrace`.
    public static func next(_ key: SipHashKey?, after previous: CookieSecrets?, now: UInt32) -> CookieSecrets? {
        guard let key else { return nil }
        guard let previous else { return CookieSecrets(current: key) }
        if previous.current == key { return previous }
        return CookieSecrets(current: key, previous: previous.current, previousUntil: now &+ rotationGrace)
    }
}
