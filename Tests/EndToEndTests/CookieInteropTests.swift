import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// DNS cookies against the real binary: dig as a real client, raw queries for what dig cannot send (a question-less
/// cookie query, a forged cookie), the secret file, and a rotation by reload.
@Suite("DNS cookies")
struct CookieInteropTests {
    /// A COOKIE option (code 10) holding `data`.
    static func option(_ data: [UInt8]) -> [UInt8] { [0, 10, 0, UInt8(data.count)] + data }

    /// The COOKIE option's data in a response's OPT record.
    static func cookie(in message: DNSMessage) -> [UInt8]? {
        guard let rdata = message.opt?.rdata else { return nil }
        var offset = 0
        while offset + 4 <= rdata.count {
            let code = Int(rdata[offset]) << 8 | Int(rdata[offset + 1])
            let length = Int(rdata[offset + 2]) << 8 | Int(rdata[offset + 3])
            guard offset + 4 + length <= rdata.count else { return nil }
            if code == 10 { return Array(rdata[(offset + 4)..<(offset + 4 + length)]) }
            offset += 4 + length
        }
        return nil
    }

    /// RFC 7873 §5.4: no question, only an OPT record with a COOKIE option.
    static func cookieOnlyQuery(id: UInt16, _ cookie: [UInt8]) -> [UInt8] {
        DNSWire.header(id: id, qd: 0, ar: 1) + EDNSSpec(options: option(cookie)).bytes
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// dig's `; COOKIE: HEX (good)` line: the hex (client and server cookie) and whether dig found its client
    /// cookie echoed.
    static func digCookie(_ response: DigResponse) -> (hex: String, good: Bool)? {
        guard let line = response.output.split(separator: "\n").first(where: { $0.hasPrefix("; COOKIE: ") }) else {
            return nil
        }
        let words = line.dropFirst("; COOKIE: ".count).split(separator: " ")
        return words.first.map { (String($0), words.dropFirst().first == "(good)") }
    }

    static func config() throws -> TestConfig {
        try TestConfig(
            server: TestConfig.server(extra: ["cookies": ["secretFile": "cookie.secret"]]),
            profiles: [
                "app.json": TestConfig.profile(
                    "app", endpoints: [TestConfig.Endpoint(name: "a", target: "127.0.0.11", priority: 1)])
            ])
    }

    @Test("dig +cookie gets a server cookie, and sending it back is accepted")
    func digCookies() throws {
        let config = try Self.config()
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            let first = try server.dig(["+cookie", "app.tm.example", "A"])
            #expect(first.status == "NOERROR" && first.answerData("A") == ["127.0.0.11"], "\(first)")
            let (cookie, good) = try #require(Self.digCookie(first), "\(first)")
            // 8 bytes of client cookie and 16 of server cookie, version 1 and reserved bytes zero.
            #expect(cookie.count == 48 && good, "\(first)")
            #expect(cookie.dropFirst(16).hasPrefix("01000000"), "\(cookie)")
            let again = try server.dig(["+cookie=\(cookie)", "app.tm.example", "A"])
            #expect(again.status == "NOERROR" && again.answerData("A") == ["127.0.0.11"], "\(again)")
            let echoed = try #require(Self.digCookie(again), "\(again)")
            #expect(echoed.good && echoed.hex.prefix(16) == cookie.prefix(16), "\(again)")
            // A client without cookies is answered as before, with no COOKIE option.
            let plain = try server.dig(["+nocookie", "app.tm.example", "A"])
            #expect(plain.status == "NOERROR" && Self.digCookie(plain) == nil, "\(plain)")
        }
    }

    @Test("the secret file is created 0600; a rotated secret keeps the old cookies valid; BADCOOKIE only for §5.4")
    func secretFileAndRotation() throws {
        let config = try Self.config()
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            let file = config.url.appendingPathComponent("cookie.secret")
            let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
            #expect(attributes[.posixPermissions] as? Int == 0o600)
            let secret = try String(contentsOf: file, encoding: .utf8)
            #expect(secret.count == 33 && secret.hasSuffix("\n"), "\(secret)")

            let client = try server.udpClient()
            let clientCookie: [UInt8] = [9, 8, 7, 6, 5, 4, 3, 2]
            let fresh = try DNSMessage(try #require(client.exchange(Self.cookieOnlyQuery(id: 1, clientCookie))))
            #expect(fresh.rcode == RCode.noError && fresh.questions.isEmpty && fresh.answers.isEmpty)
            let issued = try #require(Self.cookie(in: fresh))
            #expect(Array(issued.prefix(8)) == clientCookie && issued.count == 24)
            let valid = try DNSMessage(try #require(client.exchange(Self.cookieOnlyQuery(id: 2, issued))))
            #expect(valid.rcode == RCode.noError)
            var forged = issued
            forged[23] ^= 0x55
            let bad = try DNSMessage(try #require(client.exchange(Self.cookieOnlyQuery(id: 3, forged))))
            #expect(bad.rcode == 23, "BADCOOKIE: \(bad)")
            #expect(Self.cookie(in: bad).map { Array($0.prefix(8)) } == clientCookie)
            // A forged cookie on an ordinary query is answered normally, with a fresh cookie (RFC 7873 §5.2.4).
            let normal = try DNSMessage(
                try #require(
                    client.exchange(
                        DNSWire.query(
                            id: 4, name: "app.tm.example", type: RRType.a, edns: EDNSSpec(options: Self.option(forged)))
                    )))
            #expect(normal.rcode == RCode.noError && normal.answers.first?.address == "127.0.0.11")
            #expect(Self.cookie(in: normal).map { Array($0.suffix(8)) } != Array(forged.suffix(8)))
            // A malformed COOKIE option (9 bytes) is FORMERR.
            let malformed = try DNSMessage(
                try #require(
                    client.exchange(
                        DNSWire.query(
                            id: 5, name: "app.tm.example", type: RRType.a,
                            edns: EDNSSpec(options: Self.option([UInt8](repeating: 1, count: 9)))))))
            #expect(malformed.rcode == RCode.formErr)

            // Rotation: a new secret and a reload. The cookie of the old secret is still valid, a new one is made
            // with the new secret (it differs from the old for the same client and second or later).
            try Data("00112233445566778899aabbccddeeff\n".utf8).write(to: file)
            server.signal(SIGHUP)
            #expect(eventuallyTrue(within: 5) { server.log.contains("reloaded") }, "\(server.log)")
            let afterRotation = try DNSMessage(try #require(client.exchange(Self.cookieOnlyQuery(id: 6, issued))))
            #expect(afterRotation.rcode == RCode.noError, "the previous secret still verifies: \(afterRotation)")
            let renewed = try #require(Self.cookie(in: afterRotation))
            let check = try DNSMessage(try #require(client.exchange(Self.cookieOnlyQuery(id: 7, renewed))))
            #expect(check.rcode == RCode.noError)
        }
    }

    /// Unbound 1.17 (Debian 12) has no `answer-cookie` (added in 1.18) and sends no cookies upstream, so what is
    /// checked is that a resolver without cookies is served as before by edgetm with cookies on.
    @Test("Unbound resolves through edgetm with cookies and rate limiting on")
    func unboundThroughCookies() throws {
        try #require(FileManager.default.isExecutableFile(atPath: UnboundProcess.binary.path))
        let config = try TestConfig(
            server: TestConfig.server(extra: [
                "cookies": ["secretFile": "cookie.secret"],
                "rateLimit": ["responsesPerSecond": 100, "exempt": [String]()] as [String: Any],
            ]),
            profiles: [
                "app.json": TestConfig.profile(
                    "app", endpoints: [TestConfig.Endpoint(name: "a", target: "127.0.0.11", priority: 1)])
            ])
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            let unbound = try UnboundProcess.start(stubPort: server.port)
            defer { unbound.stop() }
            let answer = try unbound.dig(["+rec", "app.tm.example", "A"])
            #expect(answer.status == "NOERROR" && answer.answerData("A") == ["127.0.0.11"], "\(answer)\n\(unbound.log)")
        }
    }
}
