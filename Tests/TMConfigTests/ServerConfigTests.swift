import Foundation
import TMConfig
import Testing

/// `edgetm.json` problems.
struct ServerConfigTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let old: String
        let new: String
        let expected: [String]
        var testDescription: String { expected.first ?? new }
    }

    static let cases: [Case] = [
        Case(
            old: #""listen": ["127.0.0.1:5353", "[::1]:5353"]"#, new: #""listen": ["127.0.0.1", "[::1]:5353"]"#,
            expected: [
                #"edgetm.json: listen[0]: "127.0.0.1" is not an address and port such as "127.0.0.1:53" or "[::1]:53""#
            ]),
        Case(
            old: #""name": "tm.example.""#, new: #""name": "tm..example.""#,
            expected: [#"edgetm.json: zone.name: "tm..example." is not a valid domain name: it has an empty label"#]),
        Case(
            old: #""nameservers": ["ns1.tm.example."],"#, new: "",
            expected: ["edgetm.json: zone.nameservers: is required"]),
        Case(
            old: #""nameservers": ["ns1.tm.example."]"#, new: #""nameservers": []"#,
            expected: ["edgetm.json: zone.nameservers: must list at least one name server"]),
        Case(
            old: #""ns1.tm.example.": ["127.0.0.1"]"#, new: #""ns1.other.example.": ["127.0.0.1"]"#,
            expected: [
                "edgetm.json: zone.addresses.ns1.other.example.: ns1.other.example. is outside the zone tm.example.; only names inside it can have addresses"
            ]),
        Case(
            old: #""ns1.tm.example.": ["127.0.0.1"]"#, new: #""ns1.tm.example.": ["localhost"]"#,
            expected: [#"edgetm.json: zone.addresses.ns1.tm.example.[0]: "localhost" is not an IPv4 or IPv6 address"#]),
        Case(
            old: #""minimum": 30"#, new: #""minimum": 4294967296"#,
            expected: ["edgetm.json: zone.soa.minimum: 4294967296 is out of range 0...4294967295"]),
        Case(
            old: #""profiles": "profiles""#, new: #""profiles": "profiles", "colour": "red""#,
            expected: ["edgetm.json: colour: unknown key"]),
        Case(
            old: #""profiles": "profiles""#, new: #""profiles": "missing""#,
            expected: [#"edgetm.json: profiles: directory "missing" cannot be read"#]),
        Case(
            old: #""profiles": "profiles""#, new: #""profiles": "profiles", "http": {"allow": ["127.0.0.0/8"]}"#,
            expected: [
                #"edgetm.json: http.listen: is required: the addresses to serve HTTP on, such as ["127.0.0.1:8053"]"#
            ]),
        Case(
            old: #""profiles": "profiles""#,
            new: #""profiles": "profiles", "http": {"listen": ["127.0.0.1"], "allow": ["10.0.0.0/33"], "tls": true}"#,
            expected: [
                #"edgetm.json: http.allow[0]: "10.0.0.0/33" is not a network such as "127.0.0.0/8" or "::1/128""#,
                #"edgetm.json: http.listen[0]: "127.0.0.1" is not an address and port such as "127.0.0.1:53" or "[::1]:53""#,
                "edgetm.json: http.tls: unknown key",
            ]),
        Case(
            old: #""profiles": "profiles""#,
            new: #""profiles": "profiles", "rateLimit": { "responsesPerSecond": 0, "slip": 11, "window": 0.5 }"#,
            expected: [
                "edgetm.json: rateLimit.responsesPerSecond: 0 is out of range 1...1000000",
                "edgetm.json: rateLimit.slip: 11 is out of range 0...10",
                "edgetm.json: rateLimit.window: must be a whole number, not 0.5",
            ]),
        Case(
            old: #""profiles": "profiles""#,
            new: #""profiles": "profiles", "rateLimit": { "ipv4PrefixLength": 33, "ipv6PrefixLength": 129 }"#,
            expected: [
                "edgetm.json: rateLimit.ipv4PrefixLength: 33 is out of range 0...32",
                "edgetm.json: rateLimit.ipv6PrefixLength: 129 is out of range 0...128",
            ]),
        Case(
            old: #""profiles": "profiles""#,
            new: #""profiles": "profiles", "rateLimit": { "exempt": ["10.0.0.0/33", 7], "burst": 5 }"#,
            expected: [
                #"edgetm.json: rateLimit.exempt[0]: "10.0.0.0/33" is not a network such as "127.0.0.0/8" or "::1/128""#,
                #"edgetm.json: rateLimit.exempt[1]: 7 is not a network such as "127.0.0.0/8" or "::1/128""#,
                "edgetm.json: rateLimit.burst: unknown key",
            ]),
        Case(
            old: #""profiles": "profiles""#, new: #""profiles": "profiles", "cookies": { "secret": "x" }"#,
            expected: ["edgetm.json: cookies.secret: unknown key"]),
        Case(
            old: #""profiles": "profiles""#, new: #""profiles": "profiles", "cookies": { "secretFile": "" }"#,
            expected: ["edgetm.json: cookies.secretFile: must not be empty"]),
    ]

    @Test(arguments: cases)
    func brokenServerFileIsReported(_ testCase: Case) throws {
        precondition(ConfigFixture.server.contains(testCase.old))
        let server = ConfigFixture.server.replacingOccurrences(of: testCase.old, with: testCase.new)
        #expect(try ConfigFixture.issues(server: server) == testCase.expected)
    }

    @Test func profileNameCollidingWithAddressName() throws {
        let server = ConfigFixture.server.replacingOccurrences(
            of: #""ns1.tm.example.": ["127.0.0.1"]"#,
            with: #""app.tm.example.": ["127.0.0.1"]"#)
        #expect(
            try ConfigFixture.issues(server: server) == [
                "profiles/app.json: properties.dnsConfig.relativeName: app.tm.example. already has addresses in edgetm.json zone.addresses"
            ])
    }

    /// Editors read `$schema` (docs/schema/); the loader must not call it an unknown key, in either file, and only
    /// at the top: deeper, it is as unknown as any other key.
    @Test func schemaKeyIsIgnoredAtTheTop() throws {
        let schema = #""$schema": "https://example.invalid/schema.json", "#
        let server = ConfigFixture.server.replacingOccurrences(of: #""listen""#, with: schema + #""listen""#)
        let profile = ConfigFixture.app.replacingOccurrences(of: #""name": "app","#, with: schema + #""name": "app","#)
        let fixture = try ConfigFixture(server: server, profiles: ["app.json": profile])
        defer { fixture.remove() }
        #expect(fixture.load().issues.map(\.description) == [])
        let nested = ConfigFixture.server.replacingOccurrences(of: #""soa""#, with: schema + #""soa""#)
        #expect(try ConfigFixture.issues(server: nested) == [#"edgetm.json: zone.$schema: unknown key"#])
    }

    @Test func httpSectionIsRead() throws {
        let server = ConfigFixture.server.replacingOccurrences(
            of: #""profiles": "profiles""#, with: #""profiles": "profiles", "http": {"listen": ["[::1]:8053"]}"#)
        let fixture = try ConfigFixture(server: server)
        defer { fixture.remove() }
        let http = try #require(fixture.load().configuration?.http)
        #expect(http.listen.map(\.description) == ["[::1]:8053"])
        #expect(http.allow.map(\.description) == ["127.0.0.0/8", "::1/128"], "defaults to this machine")
    }

    @Test func missingServerFile() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let result = ConfigLoader.load(directory: fixture.directory.appendingPathComponent("nowhere").path)
        #expect(result.configuration == nil)
        #expect(result.errors.first?.description == "edgetm.json: $: cannot be read: no such file")
    }

    @Test func listenDefaultsToAllAddressesOnPort53() throws {
        let server = ConfigFixture.server.replacingOccurrences(
            of: #""listen": ["127.0.0.1:5353", "[::1]:5353"],"#,
            with: "")
        let fixture = try ConfigFixture(server: server)
        defer { fixture.remove() }
        #expect(fixture.load().configuration?.listen.map(\.description) == ["0.0.0.0:53", "[::]:53"])
    }

    @Test func rateLimitDefaultsAndValues() throws {
        let on = ConfigFixture.server.replacingOccurrences(
            of: #""profiles": "profiles""#,
            with: #""profiles": "profiles", "rateLimit": { "responsesPerSecond": 50, "exempt": ["192.0.2.0/24"] }"#)
        let fixture = try ConfigFixture(server: on)
        defer { fixture.remove() }
        let limit = try #require(fixture.load().configuration?.rateLimit)
        #expect(limit.responsesPerSecond == 50 && limit.slip == 2 && limit.window == 15)
        #expect(limit.ipv4PrefixLength == 24 && limit.ipv6PrefixLength == 56)
        #expect(limit.exempt.map(\.description) == ["192.0.2.0/24"])
        let off = try ConfigFixture()
        defer { off.remove() }
        #expect(off.load().configuration.map { $0.rateLimit == nil && $0.cookies == nil } == true)
    }

    /// The secret is read with the configuration (relative to its directory); a missing file is left to the daemon
    /// to create, a malformed one is an error of that file.
    @Test func cookieSecretFile() throws {
        let on = ConfigFixture.server.replacingOccurrences(
            of: #""profiles": "profiles""#, with: #""profiles": "profiles", "cookies": { "secretFile": "c.secret" }"#)
        let fixture = try ConfigFixture(server: on)
        defer { fixture.remove() }
        let missing = try #require(fixture.load().configuration?.cookies)
        #expect(missing.secret == nil && missing.secretFile.hasSuffix("/c.secret"))
        let file = fixture.directory.appendingPathComponent("c.secret")
        try "000102030405060708090a0b0c0d0e0f\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(fixture.load().configuration?.cookies?.secret == Array(0...15))
        try "not hex".write(to: file, atomically: true, encoding: .utf8)
        #expect(
            fixture.load().issues.map(\.description) == [
                "c.secret: $: must hold 32 hexadecimal digits (16 bytes), such as `openssl rand -hex 16` writes"
            ])
        // What the daemon writes is what the loader reads back, and only the owner may read it.
        try FileManager.default.removeItem(at: file)
        let created = try CookieSecretFile.create(atPath: file.path)
        #expect(fixture.load().configuration?.cookies?.secret == created)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
