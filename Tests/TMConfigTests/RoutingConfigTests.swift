import Foundation
import TMConfig
import TMRouting
import Testing

/// Nested, Geographic, Subnet, Weighted and MultiValue profiles: what loads, and every error class.
struct RoutingConfigTests {
    static func endpoint(_ name: String, _ properties: String, type: String = "externalEndpoints") -> String {
        #"{ "name": "\#(name)", "type": "\#(type)", "properties": { \#(properties) } }"#
    }

    static func profile(_ name: String, method: String, extra: String = "", _ endpoints: [String]) -> String {
        #"{ "name": "\#(name)", "properties": { "trafficRoutingMethod": "\#(method)", \#(extra) "dnsConfig": { "relativeName": "\#(name)" }, "endpoints": [\#(endpoints.joined(separator: ", "))] } }"#
    }

    static func issues(
        _ profiles: [String: String], server: String = ConfigFixture.server,
        files: [String: String] = [:]
    ) throws -> [String] {
        let fixture = try ConfigFixture(server: server, profiles: profiles)
        defer { fixture.remove() }
        for (name, text) in files {
            try text.write(to: fixture.directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return fixture.load().issues.map(\.description)
    }

    static func chain(_ length: Int) -> [String: String] {
        var profiles: [String: String] = [:]
        for index in 0..<length {
            let next =
                index + 1 < length
                ? endpoint("down", #""target": "p\#(index + 1)""#, type: "nestedEndpoints")
                : endpoint("leaf", #""target": "127.0.0.1""#)
            profiles["p\(index).json"] = profile("p\(index)", method: "Priority", [next])
        }
        return profiles
    }

    @Test func nestedChainsUpToTenLoadAndLongerOnesAreRefused() throws {
        #expect(try Self.issues(Self.chain(10)).isEmpty)
        let issues = try Self.issues(Self.chain(11))
        #expect(
            issues.first == "profiles/p0.json: properties.endpoints[0].properties.target: a chain of nested "
                + "profiles may hold at most 10 profiles: p0 -> p1 -> p2 -> p3 -> p4 -> p5 -> p6 -> p7 -> p8 -> p9 -> p10"
        )
    }

    @Test func nestingLoopsAndMissingChildren() throws {
        let issues = try Self.issues([
            "a.json": Self.profile(
                "a", method: "Priority", [Self.endpoint("to-b", #""target": "b""#, type: "nestedEndpoints")]),
            "b.json": Self.profile(
                "b", method: "Priority",
                [
                    Self.endpoint(
                        "to-a",
                        #""targetResourceId": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/trafficManagerProfiles/a""#,
                        type: "Microsoft.Network/trafficManagerProfiles/nestedEndpoints")
                ]),
            "c.json": Self.profile(
                "c", method: "Priority", [Self.endpoint("to-x", #""target": "nowhere""#, type: "nestedEndpoints")]),
        ])
        #expect(
            issues == [
                "profiles/a.json: properties.endpoints[0].properties.target: nesting loop: a -> b -> a",
                "profiles/b.json: properties.endpoints[0].properties.target: nesting loop: b -> a -> b",
                #"profiles/c.json: properties.endpoints[0].properties.target: no profile is named "nowhere""#,
            ])
    }

    @Test func geographicRules() throws {
        let issues = try Self.issues([
            "g.json": Self.profile(
                "g", method: "Geographic",
                [
                    Self.endpoint("a", #""target": "127.0.0.1", "geoMapping": ["US", "GEO-EU", "XX"]"#),
                    Self.endpoint("b", #""target": "127.0.0.2", "geoMapping": ["us"]"#),
                ])
        ])
        #expect(
            issues == [
                "profiles/g.json: properties.endpoints[0].properties.geoMapping[2]: \"XX\" is not a location code: WORLD, "
                    + "a GEO-xx grouping, an ISO 3166-1 country code or a state/province code such as US-CA",
                #"profiles/g.json: properties.endpoints[1].properties.geoMapping[0]: "US" is already mapped to endpoint "a""#,
            ])
    }

    @Test func subnetRules() throws {
        let issues = try Self.issues([
            "s.json": Self.profile(
                "s", method: "Subnet",
                [
                    Self.endpoint("a", #""target": "127.0.0.1", "subnets": [{ "first": "192.0.2.0", "scope": 24 }]"#),
                    Self.endpoint(
                        "b",
                        #""target": "127.0.0.2", "subnets": [{ "first": "192.0.2.128", "last": "192.0.3.5" }, { "first": "192.0.2.1", "scope": 24 }, { "first": "2001:db8::", "last": "10.0.0.1" }]"#
                    ),
                    Self.endpoint("c", #""target": "127.0.0.3""#), Self.endpoint("d", #""target": "127.0.0.4""#),
                ])
        ])
        #expect(
            issues == [
                "profiles/s.json: properties.endpoints[1].properties.subnets[1].first: 192.0.2.1 has bits set beyond the /24 scope",
                #"profiles/s.json: properties.endpoints[1].properties.subnets[2].last: "10.0.0.1" is not an address of the same family at or after 2001:db8::"#,
                #"profiles/s.json: properties.endpoints[1].properties.subnets[0]: 192.0.2.128-192.0.3.5 overlaps 192.0.2.0/24 of endpoint "a""#,
                #"profiles/s.json: properties.endpoints[3].properties.subnets: only one endpoint may be without subnets (the fallback); "c" already is"#,
            ])
    }

    @Test func multiValueRules() throws {
        let issues = try Self.issues([
            "m.json": Self.profile(
                "m", method: "MultiValue", extra: #""maxReturn": 11,"#,
                [
                    Self.endpoint("a", #""target": "origin.example.net""#),
                    Self.endpoint("b", #""target": "c""#, type: "nestedEndpoints"),
                ]),
            "c.json": Self.profile("c", method: "Priority", [Self.endpoint("x", #""target": "127.0.0.1""#)]),
        ])
        #expect(
            issues == [
                "profiles/m.json: properties.maxReturn: 11 is out of range 1...10",
                "profiles/m.json: properties.endpoints[0].properties.target: MultiValue answers only address targets, not DNS names",
                "profiles/m.json: properties.endpoints[1].properties.target: MultiValue profiles cannot have nested endpoints",
            ])
    }

    @Test func weightedAndNestedLoad() throws {
        let fixture = try ConfigFixture(profiles: [
            "child.json": Self.profile("child", method: "Priority", [Self.endpoint("x", #""target": "127.0.0.1""#)]),
            "w.json": Self.profile(
                "w", method: "Weighted",
                [
                    Self.endpoint("a", #""target": "127.0.0.2", "weight": 3"#),
                    Self.endpoint(
                        "b", #""target": "child", "minChildEndpoints": 1, "minChildEndpointsIPv4": 1"#,
                        type: "nestedEndpoints"),
                ]),
        ])
        defer { fixture.remove() }
        let result = fixture.load()
        #expect(result.issues.isEmpty, "\(result.issues)")
        let weighted = try #require(result.configuration?.profiles.first { $0.name == "w" })
        #expect(weighted.method == .weighted)
        #expect(weighted.endpoints.map(\.weight) == [3, 1])
        #expect(weighted.endpoints[1].nested == NestedTarget(profile: "child", minChildEndpointsIPv4: 1))
        #expect(weighted.endpoints[1].target == .name(DomainName("child.tm.example.")!))
    }

    @Test func geoSubnetMapFile() throws {
        let server = ConfigFixture.server.replacingOccurrences(
            of: #""profiles": "profiles""#,
            with: #""profiles": "profiles", "geo": { "subnets": "geo-subnets.json" }"#)
        #expect(
            try Self.issues(
                ["app.json": ConfigFixture.app], server: server,
                files: ["geo-subnets.json": #"{ "198.51.100.0/24": "US-TX", "2001:db8:5::/48": "DE" }"#]
            ).isEmpty)
        #expect(
            try Self.issues(
                ["app.json": ConfigFixture.app], server: server,
                files: ["geo-subnets.json": #"{ "198.51.100.0/33": "US", "10.0.0.0/8": "Narnia" }"#]) == [
                    #"geo-subnets.json: 10.0.0.0/8: "Narnia" is not a location code: WORLD, a GEO-xx grouping, an ISO 3166-1 country code or a state/province code such as US-TX"#,
                    #"geo-subnets.json: 198.51.100.0/33: "198.51.100.0/33" is not a network such as "198.51.100.0/24" or "2001:db8::/48""#,
                ])
        let missingDatabase = ConfigFixture.server.replacingOccurrences(
            of: #""profiles": "profiles""#,
            with: #""profiles": "profiles", "geo": { "database": "nope.mmdb" }"#)
        let issues = try Self.issues(["app.json": ConfigFixture.app], server: missingDatabase)
        #expect(issues.count == 1)
        #expect(issues.first?.hasPrefix(#"edgetm.json: geo.database: cannot open "nope.mmdb": "#) == true)
    }
}
