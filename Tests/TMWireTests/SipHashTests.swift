import Testing

@testable import TMWire

/// SipHash-2-4 against the reference vectors of the SipHash paper (`vectors.h` of the reference implementation):
/// key 00 01 .. 0f, message 00 01 .. (n-1), output as the reference writes it (little-endian bytes).
struct SipHashTests {
    static let key = SipHashKey(bytes: Array(UInt8(0)...15))!

    static let vectors: [(length: Int, output: [UInt8])] = [
        (0, [0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72]),
        (1, [0xfd, 0x67, 0xdc, 0x93, 0xc5, 0x39, 0xf8, 0x74]),
        (7, [0x37, 0xd1, 0x01, 0x8b, 0xf5, 0x00, 0x02, 0xab]),
        (8, [0x62, 0x24, 0x93, 0x9a, 0x79, 0xf5, 0xf5, 0x93]),
        (9, [0xb0, 0xe4, 0xa9, 0x0b, 0xdf, 0x82, 0x00, 0x9e]),
        (12, [0xfb, 0xe5, 0x0e, 0x86, 0xbc, 0x8f, 0x1e, 0x75]),
        // The paper's worked example (Appendix A): 15 bytes, one block and a 7-byte tail.
        (15, [0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1]),
    ]

    @Test(arguments: vectors.indices)
    func referenceVector(_ index: Int) {
        let (length, output) = Self.vectors[index]
        var hasher = SipHasher(key: Self.key)
        let message = (0..<length).map { UInt8($0) }
        message.withUnsafeBytes { hasher.append($0) }
        let result = hasher.finalize()
        #expect((0..<8).map { UInt8(truncatingIfNeeded: result >> (8 * $0)) } == output)
    }

    @Test func keyMustBeSixteenBytes() {
        #expect(SipHashKey(bytes: [UInt8](repeating: 0, count: 15)) == nil)
        #expect(SipHashKey(bytes: [UInt8](repeating: 0, count: 17)) == nil)
    }
}
