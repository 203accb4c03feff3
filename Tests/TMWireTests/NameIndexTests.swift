import TMRouting
import Testing

@testable import TMWire

/// The query path's name lookup: any letter case, no false hits, every key found however the slots collide.
struct NameIndexTests {
    static func wire(_ text: String) -> [UInt8] { DomainName(text)!.wireKey }

    static func wireAsSent(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for label in text.split(separator: ".") {
            bytes.append(UInt8(label.utf8.count))
            bytes += label.utf8
        }
        return bytes + [0]
    }

    @Test func findsEveryKeyInAnyCaseAndNothingElse() {
        // 5,000 names in a table of 16,384 slots: collisions on the low hash bits are certain, so probing is exercised.
        let names = (0..<5_000).map { "host\($0).Zone\($0 % 7).tm.example" }
        let index = NameIndex(names.enumerated().map { (Self.wire($1), $0) })
        for (value, name) in names.enumerated() {
            #expect(index[Self.wireAsSent(name.uppercased())] == value)
            #expect(index[Self.wireAsSent(name.lowercased())] == value)
        }
        for miss in [
            "host5000.zone0.tm.example", "host1.zone2.tm.example", "tm.example", "host1.zone1.tm.exampl",
            "host1.zone1.tm.example.org",
        ] {
            #expect(index[Self.wireAsSent(miss)] == nil, "\(miss)")
        }
    }

    @Test func onlyASCIILettersFold() {
        let index = NameIndex([(Self.wire("a-z.example"), 1), ([3, 0xc3, 0xa9, 0x5b, 0], 2)])
        #expect(index[Self.wireAsSent("A-Z.EXAMPLE")] == 1)
        // 0xc3 0x89 is É in UTF-8, 0x7b is '{': neither is '[' (0x5b) or é folded the ASCII way.
        #expect(index[[3, 0xc3, 0x89, 0x5b, 0] as [UInt8]] == nil)
        #expect(index[[3, 0xc3, 0xa9, 0x7b, 0] as [UInt8]] == nil)
        #expect(index[[3, 0xc3, 0xa9, 0x5b, 0] as [UInt8]] == 2)
    }

    @Test func aRepeatedNameKeepsItsFirstValue() {
        let index = NameIndex([(Self.wire("x.example"), 1), (Self.wire("X.example"), 2)])
        #expect(index[Self.wire("x.example")] == 1)
        #expect(NameIndex<Int>([]).isEmpty)
        #expect(NameIndex<Int>([])[Self.wire("x.example")] == nil)
    }

    @Test func namesBelowTheApexInAnyCase() {
        let apex = Self.wire("tm.example")
        func below(_ name: String) -> Bool {
            Self.wireAsSent(name).withUnsafeBytes { WireName.isName($0, below: apex) }
        }
        #expect(below("TM.Example"))
        #expect(below("a.b.TM.example"))
        #expect(!below("atm.example"))
        #expect(!below("tm.example.org"))
        #expect(!below("example"))
    }
}
