import Testing

@testable import TMHealth

/// The body buffer behind curl's write callback, without curl: what it keeps and when it asks curl to stop.
struct ResponseBodyTests {
    /// Feeds pieces of the given sizes; returns what `take` answered for each.
    static func feed(_ body: ResponseBody, _ sizes: [Int]) -> [Int] {
        sizes.map { size in
            let piece = [UInt8](repeating: UInt8(ascii: "x"), count: size)
            return piece.withUnsafeBytes { body.take($0) }
        }
    }

    @Test func aShortBodyIsKeptWholeAndNotStopped() {
        let body = ResponseBody(limit: 5_120)
        #expect(Self.feed(body, [3, 0, 100]) == [3, 0, 100])
        #expect(body.bytes.count == 103)
        #expect(!body.stoppedAtLimit)
    }

    @Test func thePieceThatReachesTheLimitStopsTheTransfer() {
        let body = ResponseBody(limit: 5_120)
        // curl hands over up to 16 KiB at a time: the first piece past the limit is cut, and answered short.
        #expect(Self.feed(body, [4_000, 16_384]) == [4_000, 0])
        #expect(body.bytes.count == 5_120)
        #expect(body.stoppedAtLimit)
    }

    @Test func aBodyOfExactlyTheLimitStopsToo() {
        let body = ResponseBody(limit: 10)
        #expect(Self.feed(body, [5, 5]) == [5, 0])
        #expect(body.bytes.count == 10 && body.stoppedAtLimit)
    }
}
