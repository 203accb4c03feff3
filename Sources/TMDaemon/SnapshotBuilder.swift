import Foundation
import TMConfig
import TMRouting
import TMWire

/// Turns configuration and health into a snapshot with every answer prepared. The only place answers are built.
struct SnapshotBuilder {
    let identity: ServerIdentity
    private var lastSerial: UInt32 = 0

    init(identity: ServerIdentity) { self.identity = identity }

    mutating func build(_ configuration: Configuration, health: HealthVector,
                        previous: AnswerTable? = nil) -> ServingSnapshot {
        // The SOA serial moves forward with every change of answers, so secondaries and caches can tell.
        let serial = max(lastSerial &+ 1, UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970)))
        lastSerial = serial
        let content = ZoneContent.build(zone: configuration.zone, profiles: configuration.profiles, health: health,
                                        serial: serial)
        return ServingSnapshot(configuration: configuration, health: health, content: content,
                               table: AnswerTable(content: content, identity: identity,
                                                  statusAllow: configuration.statusAllow,
                                                  locator: configuration.locator, reusing: previous))
    }
}
