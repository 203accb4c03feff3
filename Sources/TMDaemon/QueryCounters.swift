import Synchronization
import TMRouting
import TMWire

/// One listener thread's counts of DNS requests and responses, in a fixed flat array: counting is a few array
/// increments, with no lock and no shared atomic on the query path.
struct QueryTally {
    /// Question types counted by name; the rest are `other`.
    static let typeNames = ["A", "NS", "CNAME", "SOA", "PTR", "MX", "TXT", "AAAA", "SRV", "HTTPS", "ANY", "other"]
    static let transports: [(Transport, String)] = [(.udp, "udp"), (.tcp, "tcp")]
    static let families = ["ipv4", "ipv6"]
    /// Upper bounds of the response-size histogram, in bytes; one more bucket is +Inf.
    static let sizeBounds = [64, 128, 256, 512, 1232, 4096, 16384, 65535]

    static let requestSlots = transports.count * families.count * typeNames.count
    static let rcodeBase = requestSlots
    static let sizeBase = rcodeBase + 16
    static let sizeSumSlot = sizeBase + sizeBounds.count + 1
    static let slotCount = sizeSumSlot + 1

    var slots = [UInt64](repeating: 0, count: slotCount)

    static func typeIndex(_ type: UInt16) -> Int {
        switch type {
        case 1: 0
        case 2: 1
        case 5: 2
        case 6: 3
        case 12: 4
        case 15: 5
        case 16: 6
        case 28: 7
        case 33: 8
        case 65: 9
        case 255: 10
        default: 11
        }
    }

    static func requestSlot(transport: Transport, ipv6: Bool, typeIndex: Int) -> Int {
        ((transport == .udp ? 0 : 1) * families.count + (ipv6 ? 1 : 0)) * typeNames.count + typeIndex
    }

    /// One request; `response` is the bytes written (nil when none was, or it is made elsewhere).
    mutating func count(
        transport: Transport, client: IPAddress?, questionType: UInt16, response: UnsafeRawBufferPointer?
    ) {
        let ipv6 = if case .v6 = client { true } else { false }
        slots[Self.requestSlot(transport: transport, ipv6: ipv6, typeIndex: Self.typeIndex(questionType))] += 1
        guard let response, response.count >= 4 else { return }
        slots[Self.rcodeBase + Int(response[3] & 0x0f)] += 1
        let size = response.count
        var bucket = 0
        while bucket < Self.sizeBounds.count, size > Self.sizeBounds[bucket] { bucket += 1 }
        slots[Self.sizeBase + bucket] += 1
        slots[Self.sizeSumSlot] += UInt64(size)
    }

    var isEmpty: Bool { !slots.contains { $0 > 0 } }

    mutating func reset() {
        for index in slots.indices { slots[index] = 0 }
    }
}

/// The listener threads' query counts summed: each thread adds its tally here about once a second.
public final class QueryCounters: Sendable {
    private let totals = Mutex([UInt64](repeating: 0, count: QueryTally.slotCount))

    func add(_ tally: QueryTally) {
        totals.withLock { totals in
            for index in totals.indices { totals[index] += tally.slots[index] }
        }
    }

    var snapshot: QueryTally { QueryTally(slots: totals.withLock { $0 }) }
}
