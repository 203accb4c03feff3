import Foundation
import TMConfig
import TMHealth
import TMRouting
import TMSystem
import TMWire

/// Turns configuration and health into snapshots with every answer prepared: the only place answers are built.
/// Used by the publisher thread alone.
struct SnapshotBuilder {
    let identity: ServerIdentity
    private var lastSerial: UInt32 = 0

    init(identity: ServerIdentity) { self.identity = identity }

    /// Everything planned and encoded: at start and on reload (where names whose records did not change keep the
    /// answers `previous` encoded). Throws when an answer cannot be encoded.
    /// `endpointKeys`: the configuration's, when the caller has made them already (a fleet server, for its
    /// verdicts by name).
    mutating func build(
        _ configuration: Configuration, health: HealthVector, previous: ServingSnapshot? = nil,
        endpointKeys: [EndpointKey]? = nil
    ) throws(AnswerEncodingError) -> ServingSnapshot {
        let routing = RoutingTable(profiles: ProfileSet(configuration.profiles), health: health)
        let serial = nextSerial()
        let table = try AnswerTable(
            zone: configuration.zone, routing: routing, serial: serial, identity: identity,
            statusAllow: configuration.statusAllow, locator: configuration.locator, reusing: previous?.table)
        // A rotated secret is noticed here, against the snapshot it replaces, so the previous one keeps verifying.
        let cookies = CookieSecrets.next(
            configuration.cookies?.secret.flatMap { SipHashKey(bytes: $0) }, after: previous?.cookies,
            now: wallClockSeconds())
        return ServingSnapshot(
            configuration: configuration, routing: routing, table: table, serial: serial,
            endpointKeys: endpointKeys ?? ServingSnapshot.endpointKeys(of: configuration), cookies: cookies)
    }

    /// After a health change: only the profiles holding a changed endpoint, and those nesting them, are planned and
    /// encoded again. Also the profiles whose route changed; nil when none did and the admin state is the same
    /// (nothing to publish: an admin change that moves no answer is still published, for status to show it).
    mutating func update(_ snapshot: ServingSnapshot, health: HealthVector, changed endpoints: Set<Int>)
        throws(AnswerEncodingError) -> (snapshot: ServingSnapshot, changed: [Int])?
    {
        let (routing, changed) = snapshot.routing.updating(health: health, endpoints: endpoints)
        guard !changed.isEmpty || health.overrides != snapshot.routing.health.overrides else { return nil }
        let serial = nextSerial()
        let table = try snapshot.table.updating(routing: routing, changed: changed, serial: serial)
        return (
            ServingSnapshot(
                configuration: snapshot.configuration, routing: routing, table: table, serial: serial,
                endpointKeys: snapshot.endpointKeys, cookies: snapshot.cookies), changed
        )
    }

    /// The SOA serial moves forward with every change of answers, so secondaries and caches can tell.
    private mutating func nextSerial() -> UInt32 {
        lastSerial = max(lastSerial &+ 1, UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970)))
        return lastSerial
    }
}
