import TMRouting
import Testing

@testable import TMWire

/// DNS cookies: the RFC 9018 construction against its Appendix A, the verdicts of RFC 7873 §5.2, and how a
/// response carries them.
struct CookieTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    static func key(_ hex: String) -> SipHashKey { SipHashKey(bytes: bytes(hex))! }

    static func cookie(_ hex: String) -> QueryCookie? { bytes(hex).withUnsafeBytes { QueryCookie($0) } }

    static func word(_ hex: String) -> UInt64 { bytes(hex).reduce(0) { $0 << 8 | UInt64($1) } }

    /// RFC 9018 Appendix A: secret, client cookie, client address, timestamp, server cookie the server sends.
    static let vectors: [(secret: String, client: String, address: String, time: UInt32, server: String)] = [
        (
            "e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", 1_559_731_985,
            "010000005cf79f111f8130c3eee29480"
        ),
        (
            "e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", 1_559_734_385,
            "010000005cf7a871d4a564a1442aca77"
        ),
        (
            "e5e973e5a6b2a43f48e7dc849e37bfcf", "fc93fc62807ddb86", "203.0.113.203", 1_559_734_700,
            "010000005cf7a9acf73a7810aca2381e"
        ),
        (
            "445536bcd2513298075a5d379663c962", "22681ab97d52c298", "2001:db8:220:1:59de:d0f4:8769:82b8",
            1_559_741_961, "010000005cf7c609a6bb79d16625507a"
        ),
    ]

    @Test(arguments: vectors.indices)
    func serverCookieMatchesRFC9018(_ index: Int) throws {
        let vector = Self.vectors[index]
        let address = try #require(IPAddress(vector.address))
        let cookie = ResponseCookie(
            client: Self.word(vector.client), address: address,
            secrets: CookieSecrets(current: Self.key(vector.secret)),
            now: vector.time)
        #expect(cookie.serverHead == Self.word(String(vector.server.prefix(16))))
        #expect(cookie.serverHash == Self.word(String(vector.server.suffix(16))))
    }

    /// A.3: the client's cookie has reserved bytes set (`abcdef`), which are part of the hash; it was issued
    /// 1 h 52 min before the query, so the server refuses it for its age, though the hash is right.
    @Test func reservedBytesAreHashedAndAgeIsChecked() throws {
        let secrets = CookieSecrets(current: Self.key("e5e973e5a6b2a43f48e7dc849e37bfcf"))
        let address = try #require(IPAddress("203.0.113.203"))
        let sent = try #require(Self.cookie("fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5"))
        #expect(ServerCookie.verdict(sent, address: address, secrets: secrets, now: 1_559_734_700) == .invalid)
        // The same cookie within its hour (issued at 0x5cf78f71) is valid: only the age refused it above.
        #expect(ServerCookie.verdict(sent, address: address, secrets: secrets, now: 0x5cf7_8f71 + 3600) == .valid)
        #expect(ServerCookie.verdict(sent, address: address, secrets: secrets, now: 0x5cf7_8f71 + 3601) == .invalid)
        // Five minutes ahead of our clock is tolerated, not more.
        #expect(ServerCookie.verdict(sent, address: address, secrets: secrets, now: 0x5cf7_8f71 - 300) == .valid)
        #expect(ServerCookie.verdict(sent, address: address, secrets: secrets, now: 0x5cf7_8f71 - 301) == .invalid)
        let elsewhere = try #require(IPAddress("203.0.113.204"))
        #expect(ServerCookie.verdict(sent, address: elsewhere, secrets: secrets, now: 0x5cf7_8f71) == .invalid)
    }

    /// A.4: after a rotation, a cookie made with the old secret is still accepted while the old secret is kept,
    /// and not once it has expired or without it.
    @Test func previousSecretVerifiesUntilItExpires() throws {
        let old = Self.key("dd3bdf9344b678b185a6f5cb60fca715")
        let new = Self.key("445536bcd2513298075a5d379663c962")
        let address = try #require(IPAddress("2001:db8:220:1:59de:d0f4:8769:82b8"))
        let sent = try #require(Self.cookie("22681ab97d52c298010000005cf7c57926556bd0934c72f8"))
        let now: UInt32 = 1_559_741_961
        let rotated = CookieSecrets(current: new, previous: old, previousUntil: now + 10)
        #expect(ServerCookie.verdict(sent, address: address, secrets: rotated, now: now) == .valid)
        let expired = CookieSecrets(current: new, previous: old, previousUntil: now - 1)
        #expect(ServerCookie.verdict(sent, address: address, secrets: expired, now: now) == .invalid)
        #expect(
            ServerCookie.verdict(sent, address: address, secrets: CookieSecrets(current: new), now: now) == .invalid)
    }

    @Test func rotationKeepsThePreviousSecretForAnHour() {
        let first = Self.key("e5e973e5a6b2a43f48e7dc849e37bfcf")
        let second = Self.key("445536bcd2513298075a5d379663c962")
        let started = CookieSecrets.next(first, after: nil, now: 1000)
        #expect(started == CookieSecrets(current: first))
        // A reload with the same secret changes nothing, not even when the previous one expires.
        #expect(CookieSecrets.next(first, after: started, now: 2000) == started)
        let rotated = CookieSecrets.next(second, after: started, now: 3000)
        #expect(rotated == CookieSecrets(current: second, previous: first, previousUntil: 3000 + 3600))
        #expect(CookieSecrets.next(nil, after: rotated, now: 3000) == nil)
    }

    @Test(arguments: [
        (0, false), (7, false), (8, true), (9, false), (15, false), (16, true), (24, true), (40, true),
        (41, false),
    ])
    func cookieLengths(_ length: Int, _ wellFormed: Bool) {
        let data = [UInt8](repeating: 1, count: length)
        #expect((data.withUnsafeBytes { QueryCookie($0) } != nil) == wellFormed)
    }

    // MARK: Through the responder

    static let secrets = CookieSecrets(current: key("e5e973e5a6b2a43f48e7dc849e37bfcf"))
    static let now: UInt32 = 1_700_000_000
    static let client = IPAddress("192.0.2.1")!

    /// `packet` (with an empty OPT record last) with one COOKIE option holding `data`.
    static func withCookie(_ packet: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var packet = packet
        let option = [0, 10, UInt8(data.count >> 8), UInt8(data.count & 0xff)] + data
        packet[packet.count - 2] = UInt8(option.count >> 8)
        packet[packet.count - 1] = UInt8(option.count & 0xff)
        return packet + option
    }

    static func query(cookie: [UInt8]) -> [UInt8] {
        withCookie(QueryBuilder.make("v4.tm.example", type: 1, edns: .init()), cookie)
    }

    /// The response and what the responder judged.
    static func respond(_ query: [UInt8], cookies: CookieSecrets? = secrets) -> ([UInt8], WrittenResponse)? {
        query.withUnsafeBytes { packet in
            var out = [UInt8](repeating: 0, count: DNSResponder.maxResponseSize)
            let written = out.withUnsafeMutableBytes {
                DNSResponder.respond(
                    to: packet, into: $0, table: FramingTests.table, transport: .udp, client: client,
                    cookies: cookies, now: now)
            }
            return written.map { (Array(out[0..<$0.length]), $0) }
        }
    }

    /// The COOKIE option a response ends with (our writer puts it last in the OPT record), as sent back.
    static func returnedCookie(_ response: [UInt8]) -> [UInt8]? {
        guard response.count >= 28, Array(response.suffix(28).prefix(4)) == [0, 10, 0, 24] else { return nil }
        return Array(response.suffix(24))
    }

    @Test func clientCookieGetsAServerCookieThatIsThenAccepted() throws {
        let clientCookie = Self.bytes("2464c4abcf10c957")
        let (first, judged) = try #require(Self.respond(Self.query(cookie: clientCookie)))
        #expect(judged.cookie == .clientOnly)
        #expect(first[3] & 0x0f == 0 && first[7] == 1)
        let returned = try #require(Self.returnedCookie(first))
        #expect(Array(returned.prefix(8)) == clientCookie)
        // Version 1, reserved zero, our clock.
        #expect(Array(returned[8..<16]) == [1, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00])
        let (second, again) = try #require(Self.respond(Self.query(cookie: returned)))
        #expect(again.cookie == .valid)
        #expect(Self.returnedCookie(second) != nil)
    }

    @Test func badServerCookieIsAnsweredWithAFreshOne() throws {
        var forged = Self.bytes("2464c4abcf10c957010000006553f100")
        forged += [UInt8](repeating: 0xaa, count: 8)
        let (response, judged) = try #require(Self.respond(Self.query(cookie: forged)))
        #expect(judged.cookie == .invalid)
        // RFC 7873 §5.2.4: answered as if only the client cookie had come, NOERROR with the answer.
        #expect(response[3] & 0x0f == 0 && response[7] == 1)
        let returned = try #require(Self.returnedCookie(response))
        #expect(Array(returned[16..<24]) != [UInt8](repeating: 0xaa, count: 8))
    }

    @Test func malformedCookieIsFormErrOnlyWhenCookiesAreOn() throws {
        let query = Self.query(cookie: [UInt8](repeating: 1, count: 9))
        let (on, _) = try #require(Self.respond(query))
        #expect(on[3] & 0x0f == 1)
        #expect(Self.returnedCookie(on) == nil)
        let (off, judged) = try #require(Self.respond(query, cookies: nil))
        #expect(off[3] & 0x0f == 0 && off[7] == 1)
        #expect(judged.cookie == .none && Self.returnedCookie(off) == nil)
    }

    /// RFC 7873 §5.4: QDCOUNT 0 and only a COOKIE option.
    static func cookieOnlyQuery(_ cookie: [UInt8]) -> [UInt8] {
        let header: [UInt8] = [0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
        return withCookie(header + [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0], cookie)
    }

    @Test func cookieOnlyQueryIsAnsweredWithoutQuestion() throws {
        let clientCookie = Self.bytes("2464c4abcf10c957")
        let (fresh, judged) = try #require(Self.respond(Self.cookieOnlyQuery(clientCookie)))
        #expect(judged.cookie == .clientOnly)
        #expect(Array(fresh[0..<2]) == [0x12, 0x34])
        #expect(fresh[3] & 0x0f == 0 && Array(fresh[4..<12]) == [0, 0, 0, 0, 0, 0, 0, 1])
        let returned = try #require(Self.returnedCookie(fresh))
        let (valid, _) = try #require(Self.respond(Self.cookieOnlyQuery(returned)))
        #expect(valid[3] & 0x0f == 0)
        var stale = returned
        stale[23] ^= 0xff
        let (bad, badJudged) = try #require(Self.respond(Self.cookieOnlyQuery(stale)))
        #expect(badJudged.cookie == .invalid)
        // BADCOOKIE is 23: 7 in the header, 1 in the OPT record's extended RCODE (the byte after its size).
        #expect(bad[3] & 0x0f == 7 && bad[12 + 5] == 1)
        #expect(Self.returnedCookie(bad) != nil)
        // Without cookies the question-less query stays what it was: FORMERR.
        let (off, _) = try #require(Self.respond(Self.cookieOnlyQuery(clientCookie), cookies: nil))
        #expect(off[3] & 0x0f == 1)
    }

    /// What rate limiting sends instead of an answer: TC, the question, and the OPT record with the cookie.
    @Test func truncationKeepsQuestionAndCookie() throws {
        let query = Self.query(cookie: Self.bytes("2464c4abcf10c957"))
        var (response, judged) = try #require(Self.respond(query))
        let cookie = try #require(Self.returnedCookie(response))
        let length = response.withUnsafeMutableBytes { DNSResponder.truncate(judged, in: $0) }
        response = Array(response.prefix(length))
        let parsed = try #require(ParsedResponse(response))
        #expect(parsed.tc && parsed.answer.isEmpty && parsed.authority.isEmpty)
        #expect(parsed.question.hasPrefix("v4.tm.example.\tIN\tA"))
        #expect(Self.returnedCookie(response) == cookie)
        judged = try #require(Self.respond(QueryBuilder.make("v4.tm.example", type: 1), cookies: nil)).1
        var plain = try #require(Self.respond(QueryBuilder.make("v4.tm.example", type: 1), cookies: nil)).0
        let plainLength = plain.withUnsafeMutableBytes { DNSResponder.truncate(judged, in: $0) }
        plain = Array(plain.prefix(plainLength))
        #expect(plain.count == 12 + 15 + 4 && plain[2] & 0x02 != 0 && Array(plain[6..<12]) == [0, 0, 0, 0, 0, 0])
    }
}
