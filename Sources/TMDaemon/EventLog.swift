import Foundation
import Synchronization

/// One thing that happened, for the event history (`GET /api/v1/events`) and the dashboard's timeline.
public struct Event: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// An endpoint's monitor verdict changed.
        case endpointStatus = "endpoint-status"
        /// A profile's answer (or its reason) changed.
        case answer
        case failOpenEntered = "fail-open-entered"
        case failOpenLeft = "fail-open-left"
        case reload
        case admin
        /// A fleet server's link to etcd: `ok` or `local-only`.
        case fleet
    }

    public let sequence: UInt64
    public let time: Date
    public let kind: Kind
    public let profile: String?
    public let endpoint: String?
    public let from: String?
    public let to: String?
    public let reason: String?
}

/// The most recent events, newest last, numbered in order: written by the publisher, read by HTTP requests. The
/// last `saved` of them go into the state file and come back at start.
final class EventLog: Sendable {
    static let capacity = 10_000
    static let saved = 1_000

    private struct Ring {
        var events: [Event] = []
        var next: UInt64 = 1
    }

    private let ring = Mutex(Ring())

    init(restoring events: [Event] = []) {
        let kept = Array(events.suffix(Self.capacity))
        ring.withLock { $0 = Ring(events: kept, next: (kept.last?.sequence ?? 0) + 1) }
    }

    func append(
        _ kind: Event.Kind, profile: String? = nil, endpoint: String? = nil, from: String? = nil, to: String? = nil,
        reason: String? = nil, at time: Date = Date()
    ) {
        ring.withLock { ring in
            ring.events.append(
                Event(
                    sequence: ring.next, time: time, kind: kind, profile: profile, endpoint: endpoint, from: from,
                    to: to, reason: reason))
            ring.next += 1
            // Trimmed in blocks, so that appending stays cheap.
            if ring.events.count > Self.capacity + Self.capacity / 10 {
                ring.events.removeFirst(ring.events.count - Self.capacity)
            }
        }
    }

    /// Events after sequence number `sequence`, or at or after `time`; all of them when both are nil.
    func events(afterSequence sequence: UInt64? = nil, since time: Date? = nil) -> [Event] {
        ring.withLock { ring in
            ring.events.suffix(Self.capacity).filter { event in
                if let sequence, event.sequence <= sequence { return false }
                if let time, event.time < time { return false }
                return true
            }
        }
    }

    /// What the state file keeps.
    var recent: [Event] { ring.withLock { Array($0.events.suffix(Self.saved)) } }
}
