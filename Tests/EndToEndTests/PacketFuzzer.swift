import Foundation

/// SplitMix64: small, fast, and the same sequence for the same seed everywhere.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One packet to throw at the server, with what kind of damage it carries (for failure messages and statistics).
struct FuzzPacket {
    var bytes: [UInt8]
    let kind: String

    /// Every packet of at least a header with QR clear must be answered; shorter ones and responses are dropped.
    var expectsReply: Bool { bytes.count >= 12 && bytes[2] & 0x80 == 0 }

    var opcode: Int? { bytes.count >= 3 ? Int(bytes[2] >> 3 & 0x0f) : nil }

    /// The packet with its first two bytes (the DNS ID) replaced, so that replies can be matched to packets.
    func withID(_ id: UInt16) -> FuzzPacket {
        var copy = self
        if copy.bytes.count >= 2 {
            copy.bytes[0] = UInt8(id >> 8)
            copy.bytes[1] = UInt8(id & 0xff)
        }
        return copy
    }
}

/// Random and mutated DNS queries, reproducible from a seed.
struct PacketFuzzer {
    var rng: SeededGenerator

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    /// Valid queries the mutations start from.
    static let bases: [[UInt8]] = [
        DNSWire.query(id: 0x1234, name: "app.tm.example", type: RRType.a),
        DNSWire.query(
            id: 0x2345, name: "App.TM.example", type: RRType.aaaa, recursionDesired: true,
            edns: EDNSSpec()),
        DNSWire.query(
            id: 0x3456, name: "tm.example", type: RRType.ns,
            edns: EDNSSpec(
                udpSize: 4096, dnssecOK: true,
                options: [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8])),  // a client cookie
        DNSWire.query(id: 0x4567, name: "version.bind", type: RRType.txt, dnsClass: RRClass.chaos),
        DNSWire.query(id: 0x5678, name: "nope.tm.example", type: RRType.any, edns: EDNSSpec(udpSize: 512)),
    ]

    // MARK: - Random helpers

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

    mutating func byte() -> UInt8 { UInt8.random(in: 0...255, using: &rng) }

    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in byte() } }

    mutating func base() -> [UInt8] { Self.bases[int(0...Self.bases.count - 1)] }

    // MARK: - The corpus

    /// `count` packets: every deterministic mutation once (if `count` allows), then random ones, shuffled.
    mutating func corpus(count: Int) -> [FuzzPacket] {
        var packets = Self.deterministic()
        while packets.count < count { packets.append(randomPacket()) }
        if packets.count > count { packets = Array(packets.prefix(count)) }
        packets.shuffle(using: &rng)
        return packets
    }

    /// One random packet of a random kind.
    mutating func randomPacket() -> FuzzPacket {
        switch int(0...99) {
        case 0..<35: return FuzzPacket(bytes: bytes(int(0...600)), kind: "random bytes")
        case 35..<60: return bitFlips()
        case 60..<70: return byteOverwrites()
        case 70..<80: return randomOPT()
        case 80..<85: return randomHeaderCounts()
        case 85..<90: return randomLabels()
        case 90..<95: return randomTail()
        default: return randomQuestion()
        }
    }

    mutating func bitFlips() -> FuzzPacket {
        var packet = base()
        for _ in 0..<int(1...8) {
            let bit = int(0...packet.count * 8 - 1)
            packet[bit / 8] ^= 1 << UInt8(bit % 8)
        }
        return FuzzPacket(bytes: packet, kind: "bit flips")
    }

    mutating func byteOverwrites() -> FuzzPacket {
        var packet = base()
        for _ in 0..<int(1...4) { packet[int(0...packet.count - 1)] = byte() }
        return FuzzPacket(bytes: packet, kind: "byte overwrites")
    }

    /// A question followed by an OPT record with random fields, options and lengths.
    mutating func randomOPT() -> FuzzPacket {
        let question = DNSWire.name("app.tm.example") + DNSWire.u16(RRType.a) + DNSWire.u16(RRClass.internet)
        var options: [UInt8] = []
        for _ in 0..<int(0...4) {
            let length = int(0...40)
            let declared = int(0...3) == 0 ? int(0...65535) : length
            options += DNSWire.u16(UInt16(int(0...65535))) + DNSWire.u16(UInt16(declared)) + bytes(length)
        }
        let declaredRDLength = int(0...3) == 0 ? int(0...65535) : options.count
        let owner: [UInt8] = int(0...5) == 0 ? DNSWire.name("x") : [0]
        let opt =
            owner + DNSWire.u16(RRType.opt) + DNSWire.u16(UInt16(int(0...65535))) + [byte(), byte(), byte(), byte()]
            + DNSWire.u16(UInt16(declaredRDLength)) + options
        let optCount = int(0...4) == 0 ? 2 : 1
        let packet =
            DNSWire.header(id: 0, ar: UInt16(optCount)) + question
            + (0..<optCount).flatMap { _ in opt }
        return FuzzPacket(bytes: packet, kind: "random OPT")
    }

    mutating func randomHeaderCounts() -> FuzzPacket {
        var packet = base()
        let offset = [4, 6, 8, 10][int(0...3)]
        let values: [UInt16] = [0, 2, 3, 255, 256, 65535, UInt16(int(0...65535))]
        let value = values[int(0...values.count - 1)]
        packet[offset] = UInt8(value >> 8)
        packet[offset + 1] = UInt8(value & 0xff)
        return FuzzPacket(bytes: packet, kind: "header counts")
    }

    /// A question whose name is random label bytes: lengths, pointers and contents all random.
    mutating func randomLabels() -> FuzzPacket {
        var name: [UInt8] = []
        for _ in 0..<int(1...10) {
            if int(0...4) == 0 {
                name += [0xc0 | UInt8(int(0...0x3f)), byte()]
                break
            }
            let length = int(0...255)
            name.append(UInt8(length))
            name += bytes(min(length, int(0...80)))
        }
        if int(0...1) == 0 { name.append(0) }
        return FuzzPacket(
            bytes: DNSWire.header(id: 0) + name + DNSWire.u16(RRType.a) + DNSWire.u16(1),
            kind: "random labels")
    }

    mutating func randomTail() -> FuzzPacket {
        FuzzPacket(bytes: base() + bytes(int(1...300)), kind: "random tail")
    }

    /// A well-formed query with random type, class, flags and case: these must all get a proper answer.
    mutating func randomQuestion() -> FuzzPacket {
        let names = [
            "app.tm.example", "tm.example", "ns1.tm.example", "x.app.tm.example", "example.com", "v6.tm.example",
            "alias.tm.example", "version.bind", "id.server", ".",
        ]
        let name = String(names[int(0...names.count - 1)].map { int(0...1) == 0 ? Character($0.uppercased()) : $0 })
        let types: [UInt16] = [0, 1, 2, 5, 6, 16, 28, 41, 251, 252, 255, 65535, UInt16(int(0...65535))]
        let classes: [UInt16] = [0, 1, 3, 4, 254, 255, UInt16(int(0...65535))]
        var packet = DNSWire.query(
            id: 0, name: name, type: types[int(0...types.count - 1)],
            dnsClass: classes[int(0...classes.count - 1)],
            recursionDesired: int(0...1) == 0,
            edns: int(0...1) == 0
                ? EDNSSpec(
                    udpSize: UInt16(int(0...65535)),
                    dnssecOK: int(0...1) == 0) : nil)
        packet[3] |= UInt8(int(0...7)) << 4  // Z, AD, CD
        return FuzzPacket(bytes: packet, kind: "random question")
    }

    // MARK: - Deterministic mutations

    static func deterministic() -> [FuzzPacket] {
        truncations() + headerCounts() + pointerAbuse() + labelLengths() + longNames() + optGarbage() + qrSet()
            + opcodes() + oddQuestions()
    }

    /// Every base query cut at every length.
    static func truncations() -> [FuzzPacket] {
        bases.flatMap { base in (0..<base.count).map { FuzzPacket(bytes: Array(base.prefix($0)), kind: "truncated") } }
    }

    /// QDCOUNT 0/2/3/255/65535 and large AN/NS/AR counts.
    static func headerCounts() -> [FuzzPacket] {
        var packets: [FuzzPacket] = []
        for base in bases {
            for (offset, values) in [
                (4, [0, 2, 3, 255, 65535]), (6, [1, 2, 255, 65535]), (8, [1, 2, 255, 65535]),
                (10, [0, 2, 255, 65535]),
            ] {
                for value in values {
                    var packet = base
                    packet[offset] = UInt8(value >> 8)
                    packet[offset + 1] = UInt8(value & 0xff)
                    packets.append(FuzzPacket(bytes: packet, kind: "header counts"))
                }
            }
            var all = base
            for offset in [4, 6, 8, 10] {
                all[offset] = 0xff
                all[offset + 1] = 0xff
            }
            packets.append(FuzzPacket(bytes: all, kind: "header counts"))
        }
        // A bare header asking for a question that is not there, and one with none.
        packets.append(FuzzPacket(bytes: DNSWire.header(id: 0, qd: 1), kind: "header counts"))
        packets.append(FuzzPacket(bytes: DNSWire.header(id: 0, qd: 0), kind: "header counts"))
        return packets
    }

    /// Compression pointer loops, pointers past the end, pointers into the header, long pointer chains.
    static func pointerAbuse() -> [FuzzPacket] {
        let typeClass = DNSWire.u16(RRType.a) + DNSWire.u16(RRClass.internet)
        let question = DNSWire.name("app.tm.example") + typeClass
        var packets: [[UInt8]] = [
            // The question name is a pointer to itself (offset 12).
            DNSWire.header(id: 0) + [0xc0, 12] + typeClass,
            // Two pointers pointing at each other: 12 → 14 → 12.
            DNSWire.header(id: 0) + [0xc0, 14, 0xc0, 12] + typeClass,
            // A label, then a pointer back to the start of the name: an endless name.
            DNSWire.header(id: 0) + [3, 0x61, 0x70, 0x70, 0xc0, 12] + typeClass,
            // A pointer to itself after a label.
            DNSWire.header(id: 0) + [3, 0x61, 0x70, 0x70, 0xc0, 16] + typeClass,
            // Pointer forward to a pointer back to the first: 12 → 18 → 12.
            DNSWire.header(id: 0) + [0xc0, 18] + typeClass + [0xc0, 12],
            // Pointers past the end.
            DNSWire.header(id: 0) + [0xc0, 0xff] + typeClass,
            DNSWire.header(id: 0) + [0xff, 0xff] + typeClass,
            DNSWire.header(id: 0) + [0xc0, 18] + typeClass,
            DNSWire.header(id: 0) + [0xc0, 17] + typeClass,
            DNSWire.header(id: 0) + [3, 0x61, 0x70, 0x70, 0xc0],
            DNSWire.header(id: 0) + [0xc0],
            // Pointers into the header and into the middle of a label.
            DNSWire.header(id: 0) + [0xc0, 0] + typeClass,
            DNSWire.header(id: 0) + [0xc0, 4] + typeClass,
            DNSWire.header(id: 0) + [3, 0x61, 0x70, 0x70, 0xc0, 13] + typeClass,
            // A valid question, then an answer record whose owner points to itself, and one past the end.
            DNSWire.header(id: 0, an: 1) + question + [0xc0, UInt8(12 + question.count)] + typeClass
                + [0, 0, 0, 30, 0, 4, 127, 0, 0, 1],
            DNSWire.header(id: 0, ar: 1) + question + [0xc0, 0xfe] + typeClass + [0, 0, 0, 30, 0, 4, 127, 0, 0, 1],
            // An answer record's owner is a pointer to the question (legal compression).
            DNSWire.header(id: 0, an: 1) + question + [0xc0, 12] + typeClass + [0, 0, 0, 30, 0, 4, 127, 0, 0, 1],
        ]
        // A chain of 200 pointers, each to the previous, ending in a real name: legal but absurd.
        var chain = DNSWire.header(id: 0, an: 1) + question
        var previous = 12
        for _ in 0..<200 {
            let here = chain.count
            chain += [0xc0 | UInt8(previous >> 8), UInt8(previous & 0xff)] + typeClass + [0, 0, 0, 30, 0, 0]
            previous = here
        }
        chain[7] = 200
        packets.append(chain)
        // Pointer loop through two records in the additional section.
        let loopStart = 12 + question.count
        packets.append(
            DNSWire.header(id: 0, ar: 2) + question
                + [0xc0, UInt8(loopStart + 12)] + typeClass + [0, 0, 0, 1, 0, 0]
                + [0xc0, UInt8(loopStart)] + typeClass + [0, 0, 0, 1, 0, 0])
        return packets.map { FuzzPacket(bytes: $0, kind: "compression pointers") }
    }

    /// Label length bytes 64...255 (extended and reserved label types, pointers) as first and as second label.
    static func labelLengths() -> [FuzzPacket] {
        let typeClass = DNSWire.u16(RRType.a) + DNSWire.u16(RRClass.internet)
        var packets: [FuzzPacket] = []
        for length in 64...255 {
            let filler = [UInt8](repeating: 0x78, count: 20)
            packets.append(
                FuzzPacket(
                    bytes: DNSWire.header(id: 0) + [UInt8(length)] + filler + [0] + typeClass,
                    kind: "label length"))
            packets.append(
                FuzzPacket(
                    bytes: DNSWire.header(id: 0) + [3, 0x61, 0x70, 0x70, UInt8(length)] + filler
                        + [0] + typeClass, kind: "label length"))
        }
        // A 64-byte label spelled out in full.
        packets.append(
            FuzzPacket(
                bytes: DNSWire.header(id: 0) + [64] + [UInt8](repeating: 0x61, count: 64)
                    + DNSWire.name("tm.example") + typeClass, kind: "label length"))
        return packets
    }

    /// Names of 255 bytes (the limit) and longer, and names without their terminating root label.
    static func longNames() -> [FuzzPacket] {
        let typeClass = DNSWire.u16(RRType.a) + DNSWire.u16(RRClass.internet)
        func labels(_ count: Int, of length: Int) -> [UInt8] {
            (0..<count).flatMap { _ in [UInt8(length)] + [UInt8](repeating: 0x61, count: length) }
        }
        let names: [[UInt8]] = [
            labels(127, of: 1) + [0],  // 255 bytes: the longest legal name
            labels(128, of: 1) + [0],  // 257 bytes
            labels(4, of: 63) + [0],  // 257 bytes
            labels(5, of: 63) + [0],  // 321 bytes
            labels(3, of: 63) + labels(1, of: 61) + [0],  // 255 bytes
            labels(3, of: 63) + labels(1, of: 62) + [0],  // 256 bytes
            labels(250, of: 1) + [0],
            labels(2, of: 63) + DNSWire.name("app.tm.example"),
            labels(8, of: 63) + [0],
            labels(3, of: 63),  // no root label: runs into the type and class
            DNSWire.name("app.tm.example").dropLast(),
        ]
        var packets = names.map { FuzzPacket(bytes: DNSWire.header(id: 0) + $0 + typeClass, kind: "long names") }
        // An in-zone name just under the limit gets a real NXDOMAIN.
        let inZone = labels(3, of: 63) + labels(1, of: 50) + DNSWire.name("tm.example")
        packets.append(FuzzPacket(bytes: DNSWire.header(id: 0) + inZone + typeClass, kind: "long names"))
        return packets
    }

    /// OPT records with wrong lengths, wrong owners, duplicates, odd versions and sizes.
    static func optGarbage() -> [FuzzPacket] {
        let question = DNSWire.name("app.tm.example") + DNSWire.u16(RRType.a) + DNSWire.u16(RRClass.internet)
        func opt(
            owner: [UInt8] = [0], size: UInt16 = 1232, ttl: [UInt8] = [0, 0, 0, 0], rdlength: Int? = nil,
            rdata: [UInt8] = []
        ) -> [UInt8] {
            owner + DNSWire.u16(RRType.opt) + DNSWire.u16(size) + ttl + DNSWire.u16(UInt16(rdlength ?? rdata.count))
                + rdata
        }
        let header = DNSWire.header(id: 0, ar: 1)
        var packets: [[UInt8]] = [
            header + question + opt(rdlength: 20),  // RDLENGTH past the end
            header + question + opt(rdlength: 65535, rdata: [0, 10, 0, 8]),
            header + question + opt(rdata: [0, 10, 0, 40, 1, 2, 3, 4]),  // option longer than RDATA
            header + question + opt(rdata: [0, 10]),  // half an option header
            header + question + opt(rdata: [0]),
            header + question + opt(rdata: [0xff, 0xff, 0, 0]),
            header + question + opt(rdata: [0, 10, 0, 3, 1, 2, 3]),  // cookie of a wrong length
            header + question + opt(rdata: [0, 10, 0, 41] + [UInt8](repeating: 7, count: 41)),
            header + question + opt(rdata: [0, 8, 0, 4, 0, 1, 33, 0]),  // client subnet, prefix too long
            header + question + opt(rdata: [0, 8, 0, 2, 0, 9]),  // client subnet, bad family
            header + question + opt(rdata: [0, 12, 0, 5, 0, 0, 0, 0, 0]),  // padding
            header + question + opt(owner: DNSWire.name("app")),  // owner not root
            header + question + opt(owner: [0xc0, 12]),
            header + question + opt(ttl: [0, 255, 0, 0]),  // version 255
            header + question + opt(ttl: [1, 0, 0, 0]),  // extended RCODE in a query
            header + question + opt(ttl: [0, 0, 0xff, 0xff]),  // every flag
            header + question + opt(size: 0),
            header + question + opt(size: 1),
            header + question + opt(size: 511),
            header + question + opt(size: 65535),
            header + question + Array(opt().prefix(5)),  // cut OPT
            DNSWire.header(id: 0, ar: 2) + question + opt() + opt(),  // two OPT records
            DNSWire.header(id: 0, ar: 2) + question + opt(size: 512) + opt(ttl: [0, 1, 0, 0]),
            DNSWire.header(id: 0, an: 1) + question + opt(),  // OPT in the answer section
            DNSWire.header(id: 0, ns: 1) + question + opt(),  // OPT in the authority section
            DNSWire.header(id: 0, ar: 1) + DNSWire.name("app.tm.example") + DNSWire.u16(RRType.opt)
                + DNSWire.u16(1) + opt(),  // OPT as the question type
        ]
        packets.append(header + question + opt(rdata: (0..<50).flatMap { [0, UInt8($0), 0, 0] }))  // many options
        return packets.map { FuzzPacket(bytes: $0, kind: "OPT garbage") }
    }

    /// Responses (QR=1) must be dropped.
    static func qrSet() -> [FuzzPacket] {
        bases.flatMap { base -> [FuzzPacket] in
            var response = base
            response[2] |= 0x80
            var answerLike = response
            answerLike[2] |= 0x04
            answerLike[3] = 0x83
            return [
                FuzzPacket(bytes: response, kind: "QR set"), FuzzPacket(bytes: answerLike, kind: "QR set"),
                FuzzPacket(bytes: Array(response.prefix(12)), kind: "QR set"),
            ]
        }
    }

    /// Every opcode on every base query.
    static func opcodes() -> [FuzzPacket] {
        bases.flatMap { base in
            (0..<16).map { opcode in
                var packet = base
                packet[2] = packet[2] & 0x87 | UInt8(opcode) << 3
                return FuzzPacket(bytes: packet, kind: "opcodes")
            }
        }
    }

    /// Zone transfers, meta types and classes, odd header bits: well-formed, so each needs a proper answer.
    static func oddQuestions() -> [FuzzPacket] {
        var packets: [[UInt8]] = []
        for type in [RRType.axfr, RRType.ixfr, RRType.opt, 0, 255, 65535, 249, 250] {
            packets.append(DNSWire.query(id: 0, name: "tm.example", type: type))
        }
        for dnsClass in [0, RRClass.chaos, 4, RRClass.none, RRClass.any, 65535] {
            packets.append(DNSWire.query(id: 0, name: "app.tm.example", type: RRType.a, dnsClass: dnsClass))
        }
        var zBit = DNSWire.query(id: 0, name: "app.tm.example", type: RRType.a)
        zBit[3] = 0x70
        packets.append(zBit)
        var rcodeInQuery = DNSWire.query(id: 0, name: "app.tm.example", type: RRType.a)
        rcodeInQuery[3] = 0x0f
        packets.append(rcodeInQuery)
        var allFlags = DNSWire.query(id: 0, name: "app.tm.example", type: RRType.a)
        allFlags[2] = 0x07
        allFlags[3] = 0xff
        packets.append(allFlags)
        packets.append(DNSWire.query(id: 0, name: ".", type: RRType.ns))
        packets.append(DNSWire.header(id: 0) + [0] + DNSWire.u16(RRType.a))  // question without class
        return packets.map { FuzzPacket(bytes: $0, kind: "odd questions") }
    }
}
