import Foundation
import TMRouting

/// Where a fleet keeps things in etcd, under its prefix (`/edgetm/` by default):
/// - `config/profiles/<file>`: a profile file as `edgetm publish` read it; `config/geo-subnets`: the subnet map;
///   `config/published`: who published the revision, and when (every publish writes it);
/// - `instances/<instance>`: a live server or vantage point, bound to its lease;
/// - `health/<instance>/<profile>/<endpoint>`: its verdict on one endpoint, bound to the same lease;
/// - `admin/<profile>/<endpoint>`: the operator's admin state of one endpoint (an `AdminEntry`), fleet-wide; bound
///   to a lease of its own when it has an end.
/// Names are percent-encoded where they could be mistaken for the layout (`/` and `%`).
public struct FleetKeys: Sendable, Equatable {
    public let prefix: String

    public init(prefix: String) { self.prefix = prefix.hasSuffix("/") ? prefix : prefix + "/" }

    public var config: String { prefix + "config/" }
    public var profiles: String { config + "profiles/" }
    public var geoSubnets: String { config + "geo-subnets" }
    public var published: String { config + "published" }
    public var instances: String { prefix + "instances/" }
    public var health: String { prefix + "health/" }
    public var admin: String { prefix + "admin/" }

    public func profile(file: String) -> String { profiles + Self.escape(file) }
    public func instance(_ name: String) -> String { instances + Self.escape(name) }
    public func health(of instance: String) -> String { health + Self.escape(instance) + "/" }
    public func health(of instance: String, _ key: EndpointKey) -> String {
        health(of: instance) + Self.escape(key.profile) + "/" + Self.escape(key.endpoint)
    }
    public func admin(_ key: EndpointKey) -> String {
        admin + Self.escape(key.profile) + "/" + Self.escape(key.endpoint)
    }

    /// What a key under the prefix is.
    public enum Parsed: Equatable {
        case profile(file: String)
        case geoSubnets
        case published
        case instance(String)
        case health(instance: String, EndpointKey)
        case admin(EndpointKey)
        case other
    }

    public func parse(_ key: String) -> Parsed {
        guard key.hasPrefix(prefix) else { return .other }
        let rest = key.dropFirst(prefix.count)
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map { Self.unescape(String($0)) }
        switch (parts.first, parts.count) {
        case ("config", 3) where parts[1] == "profiles": return .profile(file: parts[2])
        case ("config", 2) where parts[1] == "geo-subnets": return .geoSubnets
        case ("config", 2) where parts[1] == "published": return .published
        case ("instances", 2): return .instance(parts[1])
        case ("health", 4): return .health(instance: parts[1], EndpointKey(profile: parts[2], endpoint: parts[3]))
        case ("admin", 3): return .admin(EndpointKey(profile: parts[1], endpoint: parts[2]))
        default: return .other
        }
    }

    public var isConfigKey: (String) -> Bool { { [config] in $0.hasPrefix(config) } }

    static func escape(_ name: String) -> String {
        guard name.contains(where: { $0 == "/" || $0 == "%" }) else { return name }
        return name.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2F")
    }

    static func unescape(_ name: String) -> String {
        guard name.contains("%") else { return name }
        return name.replacingOccurrences(of: "%2F", with: "/").replacingOccurrences(of: "%25", with: "%")
    }
}
