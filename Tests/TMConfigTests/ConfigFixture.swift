import Foundation
import TMConfig

/// A configuration directory in a temporary folder, written from JSON text, removed on `remove()`.
struct ConfigFixture {
    static let server = """
        {
          "listen": ["127.0.0.1:5353", "[::1]:5353"],
          "zone": {
            "name": "tm.example.",
            "soa": { "mname": "ns1.tm.example.", "rname": "hostmaster.tm.example.",
                     "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 30, "ttl": 3600 },
            "nameservers": ["ns1.tm.example."],
            "addresses": { "ns1.tm.example.": ["127.0.0.1"] }
          },
          "profiles": "profiles"
        }
        """

    static let app = """
        {
          "name": "app",
          "properties": {
            "profileStatus": "Enabled",
            "trafficRoutingMethod": "Priority",
            "dnsConfig": { "relativeName": "app", "ttl": 30 },
            "monitorConfig": { "protocol": "HTTP", "port": 8080, "path": "/health",
                               "intervalInSeconds": 10, "timeoutInSeconds": 5, "toleratedNumberOfFailures": 2 },
            "endpoints": [
              { "name": "mec-atlanta", "type": "externalEndpoints",
                "properties": { "target": "127.0.0.11", "endpointStatus": "Enabled", "priority": 1 } },
              { "name": "region-eastus", "type": "externalEndpoints",
                "properties": { "target": "127.0.0.12", "endpointStatus": "Enabled", "priority": 2 } }
            ]
          }
        }
        """

    let directory: URL

    init(server: String = Self.server, profiles: [String: String] = ["app.json": Self.app]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("edgetm-config-\(UUID())")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("profiles"),
            withIntermediateDirectories: true)
        try server.write(to: directory.appendingPathComponent("edgetm.json"), atomically: true, encoding: .utf8)
        for (name, text) in profiles {
            try text.write(to: directory.appendingPathComponent("profiles/\(name)"), atomically: true, encoding: .utf8)
        }
    }

    func load() -> LoadResult { ConfigLoader.load(directory: directory.path) }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Loads `profile` as `profiles/app.json` next to the standard server file; returns the printed issues.
    static func issues(profile: String) throws -> [String] {
        let fixture = try ConfigFixture(profiles: ["app.json": profile])
        defer { fixture.remove() }
        return fixture.load().issues.map(\.description)
    }

    static func issues(server: String) throws -> [String] {
        let fixture = try ConfigFixture(server: server)
        defer { fixture.remove() }
        return fixture.load().issues.map(\.description)
    }

    /// `app` with `old` replaced by `new`, failing loudly when `old` is not there.
    static func app(replacing old: String, with new: String) -> String {
        precondition(Self.app.contains(old), "fixture text not found: \(old)")
        return Self.app.replacingOccurrences(of: old, with: new)
    }
}
