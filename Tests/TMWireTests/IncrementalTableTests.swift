import TMRouting
import Testing

@testable import TMWire

/// A health change re-encodes only the profiles it touches (and the apex, whose serial moves), and the result
/// answers byte for byte as a table built from scratch for the same health.
struct IncrementalTableTests {
    static let names = [
        "tm.example", "v4.tm.example", "v6.tm.example", "cname.tm.example", "skip.tm.example",
        "off.tm.example", "none.tm.example", "ns1.tm.example", "sub.tm.example", "nope.tm.example",
    ]

    static func routing(_ health: HealthVector) -> RoutingTable {
        RoutingTable(profiles: ProfileSet(TestZone.profiles), health: health)
    }

    @Test func updateAnswersAsAFullBuildAndSharesWhatDidNotChange() throws {
        let before = Self.routing(HealthVector(endpointCount: 8))
        let table = try AnswerTable(zone: TestZone.zone(), routing: before, serial: 10, identity: TestZone.identity)
        var health = before.health
        health[0] = .degraded
        let (after, changed) = before.updating(health: health, endpoints: [0])
        #expect(changed == [0], "only the profile holding endpoint 0 changes")
        let updated = try table.updating(routing: after, changed: changed, serial: 11)
        let rebuilt = try AnswerTable(
            zone: TestZone.zone(), routing: Self.routing(health), serial: 11,
            identity: TestZone.identity)
        for name in Self.names {
            for type: UInt16 in [1, 2, 6, 28, 5, 255] {
                let query = QueryBuilder.make(name, type: type)
                #expect(TestZone.respond(query, updated) == TestZone.respond(query, rebuilt), "\(name) type \(type)")
            }
        }
        #expect(
            TestZone.ask(updated, QueryBuilder.make("v4.tm.example", type: 1))?.answer
                == ["v4.tm.example.\t30\tIN\tA\t127.0.0.12"])
        // Profiles the change did not touch keep the very answers the old table prepared.
        for unchanged in ["v6.tm.example.", "cname.tm.example.", "ns1.tm.example."] {
            let key = DomainName(unchanged)!.wireKey
            #expect(updated.names[key]?.fixed === table.names[key]?.fixed, "\(unchanged)")
        }
        let v4 = DomainName("v4.tm.example.")!.wireKey
        #expect(updated.names[v4]?.fixed !== table.names[v4]?.fixed)
    }

    /// A reload builds everything, but a profile name whose records did not change keeps the answers the previous
    /// table encoded; the rebuilt table answers exactly as one built without it.
    @Test func reloadKeepsTheAnswersOfUnchangedNames() throws {
        let old = try AnswerTable(
            zone: TestZone.zone(), routing: Self.routing(HealthVector(endpointCount: 8)), serial: 10,
            identity: TestZone.identity)
        var health = HealthVector(endpointCount: 8)
        health[2] = .degraded  // v6's only endpoint: it fails open, same records
        health[0] = .degraded  // v4 moves to its second endpoint
        let reloaded = try AnswerTable(
            zone: TestZone.zone(), routing: Self.routing(health), serial: 11, identity: TestZone.identity,
            reusing: old)
        let fresh = try AnswerTable(
            zone: TestZone.zone(), routing: Self.routing(health), serial: 11, identity: TestZone.identity)
        for name in Self.names {
            for type: UInt16 in [1, 2, 6, 28, 5, 255] {
                let query = QueryBuilder.make(name, type: type)
                #expect(TestZone.respond(query, reloaded) == TestZone.respond(query, fresh), "\(name) type \(type)")
            }
        }
        for kept in ["v6.tm.example.", "cname.tm.example.", "skip.tm.example."] {
            let key = DomainName(kept)!.wireKey
            #expect(reloaded.names[key]?.fixed === old.names[key]?.fixed, "\(kept)")
        }
        let v4 = DomainName("v4.tm.example.")!.wireKey
        #expect(reloaded.names[v4]?.fixed !== old.names[v4]?.fixed)
    }
}
