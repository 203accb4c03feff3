import Foundation
import TMConfig
import TMRouting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `fleet` and `probeSourceAddress` in edgetm.json.
struct FleetConfigTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let added: String
        let expected: [String]
        var testDescription: String { expected.first ?? added }
    }

    static let fleet = #""fleet": { "etcd": ["http://127.0.0.1:2379"], "instance": "ns1" }"#

    static let cases: [Case] = [
        Case(
            added: #""fleet": { "etcd": ["http://127.0.0.1:2379", "ftp://x", 7], "instance": "ns1" }"#,
            expected: [
                #"edgetm.json: fleet.etcd[1]: "ftp://x" is not an http:// or https:// URL with a host and port"#,
                "edgetm.json: fleet.etcd[2]: 7 is not an http:// or https:// URL with a host and port",
            ]),
        Case(
            added: #"""
                "fleet": { "etcd": ["http://127.0.0.1", "http://127.0.0.1:2379/v3", "https://:2379", "http://h:0",
                                    "http://[::1:2379", "http://[::1]:2379/", "HTTPS://etcd-1.example:2379"] }
                """#,
            expected: [
                #"edgetm.json: fleet.etcd[0]: "http://127.0.0.1" is not an http:// or https:// URL with a host and port"#,
                #"edgetm.json: fleet.etcd[1]: "http://127.0.0.1:2379/v3" is not an http:// or https:// URL with a host and port"#,
                #"edgetm.json: fleet.etcd[2]: "https://:2379" is not an http:// or https:// URL with a host and port"#,
                #"edgetm.json: fleet.etcd[3]: "http://h:0" is not an http:// or https:// URL with a host and port"#,
                #"edgetm.json: fleet.etcd[4]: "http://[::1:2379" is not an http:// or https:// URL with a host and port"#,
            ]),
        Case(
            added: #""fleet": { "etcd": [] }"#,
            expected: [#"edgetm.json: fleet.etcd: must list at least one URL, such as "http://127.0.0.1:2379""#]),
        Case(added: #""fleet": { "instance": "ns1" }"#, expected: ["edgetm.json: fleet.etcd: is required"]),
        Case(
            added: #""fleet": { "etcd": ["http://127.0.0.1:2379"], "instance": "ns1", "degradedWhen": 1.5 }"#,
            expected: [
                #"edgetm.json: fleet.degradedWhen: 1.5 must be "majority", "any", "all" or a number above 0 and at most 1"#
            ]),
        Case(
            added: #""fleet": { "etcd": ["http://127.0.0.1:2379"], "instance": "ns1", "degradedWhen": 0 }"#,
            expected: [
                #"edgetm.json: fleet.degradedWhen: 0 must be "majority", "any", "all" or a number above 0 and at most 1"#
            ]),
        Case(
            added: #""fleet": { "etcd": ["http://127.0.0.1:2379"], "instance": "ns1", "degradedWhen": "most" }"#,
            expected: [
                #"edgetm.json: fleet.degradedWhen: "most" must be "majority", "any", "all" or a number above 0 and at most 1"#
            ]),
        Case(
            added: #""fleet": { "etcd": ["http://127.0.0.1:2379"], "instance": "ns1", "prefix": "edgetm" }"#,
            expected: [#"edgetm.json: fleet.prefix: "edgetm" must start and end with "/", such as "/edgetm/""#]),
        Case(
            added: #""fleet": { "etcd": ["http://127.0.0.1:2379"], "instance": "ns1", "prefix": "/edge tm/" }"#,
            expected: [#"edgetm.json: fleet.prefix: "/edge tm/" must not contain spaces or control characters"#]),
        Case(
            added: #""fleet": { "etcd": ["http://127.0.0.1:2379"], "instance": "ns 1" }"#,
            expected: [
                #"edgetm.json: fleet.instance: "ns 1" must be 1 to 63 of the characters A-Z, a-z, 0-9, ".", "_" and "-""#
            ]),
        Case(
            added:
                #""fleet": { "etcd": ["http://127.0.0.1:2379"], "instance": "\#(String(repeating: "a", count: 64))" }"#,
            expected: [
                #"edgetm.json: fleet.instance: "\#(String(repeating: "a", count: 64))" must be 1 to 63 of the characters A-Z, a-z, 0-9, ".", "_" and "-""#
            ]),
        Case(
            added: #""fleet": { "etcd": ["https://127.0.0.1:2379"], "instance": "ns1", "certFile": "c.pem" }"#,
            expected: [
                #"edgetm.json: fleet.keyFile: is required with certFile: a client certificate needs its key"#
            ]),
        Case(
            added: #""fleet": { "etcd": ["http://127.0.0.1:2379"], "instance": "ns1", "tls": true }"#,
            expected: ["edgetm.json: fleet.tls: unknown key"]),
        Case(
            added: #""fleet": { "etcd": ["https://127.0.0.1:2379"], "instance": "ns1", "caFile": "etcd-ca.pem" }"#,
            expected: [#"edgetm.json: fleet.caFile: "etcd-ca.pem" does not exist"#]),
        Case(
            added: #""fleet": { "etcd": ["https://127.0.0.1:2379"], "instance": "ns1", "caFile": "profiles" }"#,
            expected: [#"edgetm.json: fleet.caFile: "profiles" is a directory, not a file"#]),
        Case(
            added: #""probeSourceAddress": ["x", "127.0.0.51"]"#,
            expected: [#"edgetm.json: probeSourceAddress[0]: "x" is not an IPv4 or IPv6 address"#]),
        Case(
            added: #""probeSourceAddress": ["127.0.0.51", "::1", "127.0.0.52"]"#,
            expected: [
                "edgetm.json: probeSourceAddress: lists two IPv4 addresses; give at most one of each family"
            ]),
        Case(
            added: #""probeSourceAddress": ["::1", "2001:db8::1"]"#,
            expected: [
                "edgetm.json: probeSourceAddress: lists two IPv6 addresses; give at most one of each family"
            ]),
        Case(
            added: #""probeSourceAddress": "127.0.0.51""#,
            expected: [#"edgetm.json: probeSourceAddress: must be an array, not "127.0.0.51""#]),
    ]

    static func server(adding text: String) -> String {
        ConfigFixture.server.replacingOccurrences(
            of: #""profiles": "profiles""#, with: #""profiles": "profiles", "# + text)
    }

    @Test(arguments: cases)
    func brokenFleetIsReported(_ testCase: Case) throws {
        #expect(try ConfigFixture.issues(server: Self.server(adding: testCase.added)) == testCase.expected)
    }

    @Test func withoutEitherKey() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let configuration = try #require(fixture.load().configuration)
        #expect(configuration.fleet == nil)
        #expect(configuration.probeSourceAddresses == [])
    }

    @Test func defaults() throws {
        let fixture = try ConfigFixture(server: Self.server(adding: #""fleet": { "etcd": ["http://127.0.0.1:2379"] }"#))
        defer { fixture.remove() }
        var buffer = [CChar](repeating: 0, count: 256)
        #expect(gethostname(&buffer, buffer.count) == 0)
        let host = String(cString: buffer)
        #expect(
            fixture.load().configuration?.fleet
                == FleetSettings(
                    etcd: ["http://127.0.0.1:2379"], prefix: "/edgetm/", instance: host, degradedWhen: .majority))
    }

    @Test(arguments: [
        (#""majority""#, DegradedWhen.majority), (#""any""#, .any), (#""all""#, .all), ("0.5", .fraction(0.5)),
        ("1", .fraction(1)), ("0.001", .fraction(0.001)),
    ])
    func degradedWhen(_ written: String, _ expected: DegradedWhen) throws {
        let fleet = #""fleet": { "etcd": ["http://127.0.0.1:2379"], "instance": "ns1", "degradedWhen": \#(written) }"#
        let fixture = try ConfigFixture(server: Self.server(adding: fleet))
        defer { fixture.remove() }
        #expect(fixture.load().configuration?.fleet?.degradedWhen == expected)
    }

    @Test func everyKeyAndProbeSources() throws {
        let fleet = """
            "fleet": { "etcd": ["https://127.0.0.1:2379", "https://[::1]:22379/"], "prefix": "/tm/a/",
                       "instance": "ns1-atlanta", "degradedWhen": "any",
                       "caFile": "etcd-ca.pem", "certFile": "tls/client.pem", "keyFile": "/KEY" },
            "probeSourceAddress": ["127.0.0.51", "::1"]
            """
        let key = FileManager.default.temporaryDirectory.appendingPathComponent("edgetm-key-\(UUID())")
        let fixture = try ConfigFixture(
            server: Self.server(adding: fleet.replacingOccurrences(of: "/KEY", with: key.path)))
        defer {
            fixture.remove()
            try? FileManager.default.removeItem(at: key)
        }
        try FileManager.default.createDirectory(
            at: fixture.directory.appendingPathComponent("tls"), withIntermediateDirectories: true)
        for file in [
            fixture.directory.appendingPathComponent("etcd-ca.pem"),
            fixture.directory.appendingPathComponent("tls/client.pem"), key,
        ] {
            try "PEM".write(to: file, atomically: true, encoding: .utf8)
        }
        let result = fixture.load()
        #expect(result.issues.map(\.description) == [])
        let configuration = try #require(result.configuration)
        #expect(
            configuration.fleet
                == FleetSettings(
                    etcd: ["https://127.0.0.1:2379", "https://[::1]:22379/"], prefix: "/tm/a/", instance: "ns1-atlanta",
                    degradedWhen: .any, caFile: fixture.directory.appendingPathComponent("etcd-ca.pem").path,
                    certFile: fixture.directory.appendingPathComponent("tls/client.pem").path, keyFile: key.path))
        #expect(configuration.probeSourceAddresses.map(\.description) == ["127.0.0.51", "::1"])
        #expect(configuration.withCookieSecret([]).fleet == configuration.fleet)
        #expect(configuration.withCookieSecret([]).probeSourceAddresses == configuration.probeSourceAddresses)
    }

    /// Nothing reads TLS files without an https:// URL: said, but the configuration still loads.
    @Test func tlsFilesWithPlainHTTPAreAWarning() throws {
        let fleet = #""fleet": { "etcd": ["http://127.0.0.1:2379"], "instance": "ns1", "caFile": "ca.pem" }"#
        let fixture = try ConfigFixture(server: Self.server(adding: fleet))
        defer { fixture.remove() }
        try "PEM".write(to: fixture.directory.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
        let result = fixture.load()
        #expect(
            result.issues.map(\.description) == [
                "edgetm.json: fleet.caFile: warning: is ignored: no fleet.etcd URL is https://"
            ])
        #expect(result.configuration?.fleet?.caFile?.hasSuffix("/ca.pem") == true)
    }
}
