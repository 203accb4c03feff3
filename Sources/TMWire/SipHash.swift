/// A 128-bit SipHash key: two little-endian words, as the reference implementation reads its 16 key bytes.
public struct SipHashKey: Sendable, Hashable {
    let k0: UInt64
    let k1: UInt64

    /// Nil unless `bytes` holds exactly 16 bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var words: (UInt64, UInt64) = (0, 0)
        for (index, byte) in bytes.enumerated() {
            if index < 8 {
                words.0 |= UInt64(byte) << (8 * index)
            } else {
                words.1 |= UInt64(byte) << (8 * (index - 8))
            }
        }
        (k0, k1) = words
    }
}

/// SipHash-2-4 (Aumasson and Bernstein), fed byte by byte so that callers hash fields in place without building a
/// buffer: RFC 9018 server cookies are made with it, and rate-limit buckets are spread with it so that a client
/// cannot aim collisions at another's bucket.
struct SipHasher {
    private var v0: UInt64
    private var v1: UInt64
    private var v2: UInt64
    private var v3: UInt64
    /// Bytes not yet compressed, little-endian in the low bits.
    private var pending: UInt64 = 0
    private var length = 0

    init(key: SipHashKey) {
        v0 = key.k0 ^ 0x736f_6d65_7073_6575
        v1 = key.k1 ^ 0x646f_7261_6e64_6f6d
        v2 = key.k0 ^ 0x6c79_6765_6e65_7261
        v3 = key.k1 ^ 0x7465_6462_7974_6573
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        pending |= UInt64(byte) << (8 * (length & 7))
        length += 1
        if length & 7 == 0 {
            compress(pending)
            pending = 0
        }
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { append(byte) }
    }

    /// `value` in network byte order, as it is on the wire.
    @inline(__always)
    mutating func appendBigEndian(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    /// The 64-bit result; written out little-endian, as the reference implementation does.
    consuming func finalize() -> UInt64 {
        compress(pending | UInt64(truncatingIfNeeded: length) << 56)
        v2 ^= 0xff
        for _ in 0..<4 { round() }
        return v0 ^ v1 ^ v2 ^ v3
    }

    @inline(__always)
    private mutating func compress(_ word: UInt64) {
        v3 ^= word
        round()
        round()
        v0 ^= word
    }

    @inline(__always)
    private mutating func round() {
        v0 &+= v1
        v1 = v1.rotated(13) ^ v0
        v0 = v0.rotated(32)
        v2 &+= v3
        v3 = v3.rotated(16) ^ v2
        v0 &+= v3
        v3 = v3.rotated(21) ^ v0
        v2 &+= v1
        v1 = v1.rotated(17) ^ v2
        v2 = v2.rotated(32)
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotated(_ bits: UInt64) -> UInt64 { self << bits | self >> (64 - bits) }
}
