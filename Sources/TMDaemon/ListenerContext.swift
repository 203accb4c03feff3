import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TMRouting
import TMWire

/// An endpoint by its names, which survive reloads (ids do not).
public struct EndpointKey: Hashable, Sendable {
    public let profile: String
    public let endpoint: String
}

/// How often each endpoint was handed out, summed over listener threads. Threads count privately and add their
/// counts here about once a second, so the query path takes no lock.
public final class AnswerCounters: Sendable {
    private let totals = Mutex<[EndpointKey: UInt64]>([:])

    /// `counts[id]`: answers that handed out endpoint `id` of `snapshot`.
    func add(_ counts: [UInt64], in snapshot: ServingSnapshot) {
        let keys = snapshot.endpointKeys
        totals.withLock { totals in
            for (id, count) in zip(keys.indices, counts) where count > 0 { totals[keys[id], default: 0] += count }
        }
    }

    public var current: [EndpointKey: UInt64] { totals.withLock { $0 } }
}

/// A listener's endless loop, run on a thread of its own.
protocol ListenerLoop: AnyObject, Sendable {
    func run()
}

extension ListenerLoop {
    func start(name: String) { startNamedThread(name) { [self] in run() } }
}

/// Starts a thread whose name the system shows (top, /proc/PID/task/*/comm): Foundation's `Thread.name` is not
/// passed on to the OS thread on Linux. Names are cut to the 15 bytes the kernel keeps.
func startNamedThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
    Thread {
        try? String(name.utf8.prefix(15))!.write(toFile: "/proc/thread-self/comm", atomically: false,
                                                 encoding: .utf8)
        body()
    }.start()
}

/// What every listener thread shares.
struct ListenerContext: Sendable {
    let store: SnapshotStore
    let status: any StatusSource
    let counters: AnswerCounters
    let heartbeat: Heartbeat
}

/// One listener thread's private state: its snapshot view and its uncounted answers.
struct ListenerState {
    private var reader: SnapshotReader
    /// By endpoint id of `tallySnapshot`.
    private var tally: [UInt64]
    private var tallySnapshot: ServingSnapshot
    private var lastFlush = monotonicSeconds()
    private let context: ListenerContext
    private let beat: Int

    init(context: ListenerContext) {
        self.context = context
        reader = SnapshotReader(store: context.store)
        tallySnapshot = context.store.snapshot
        tally = Self.emptyTally(for: tallySnapshot)
        beat = context.heartbeat.register()
    }

    /// Writes the response to one query into `out` (`DNSResponder.maxResponseSize` bytes) and counts it;
    /// returns its length, or nil for no response.
    mutating func respond(to packet: UnsafeRawBufferPointer, from client: IPAddress?, transport: Transport,
                          into out: UnsafeMutableRawBufferPointer) -> Int? {
        let snapshot = reader.current()
        if snapshot !== tallySnapshot {
            flush(now: monotonicSeconds())
            tallySnapshot = snapshot
            tally = Self.emptyTally(for: snapshot)
        }
        guard let response = DNSResponder.respond(to: packet, into: out, table: snapshot.table, transport: transport,
                                                  client: client, status: context.status) else { return nil }
        if response.endpointID >= 0, Int(response.endpointID) < tally.count { tally[Int(response.endpointID)] += 1 }
        return response.length
    }

    private static func emptyTally(for snapshot: ServingSnapshot) -> [UInt64] {
        [UInt64](repeating: 0, count: snapshot.endpointKeys.count)
    }

    /// Called at least once a second by the listener loop: proves the thread is alive and hands over counts.
    mutating func tick() {
        let now = monotonicSeconds()
        context.heartbeat.beat(beat, at: now)
        if now - lastFlush >= 1 { flush(now: now) }
    }

    private mutating func flush(now: Double) {
        lastFlush = now
        guard tally.contains(where: { $0 > 0 }) else { return }
        context.counters.add(tally, in: tallySnapshot)
        for index in tally.indices { tally[index] = 0 }
    }
}

/// The last time each listener loop went round, for the systemd watchdog: it pings only while all are alive.
public final class Heartbeat: Sendable {
    private let beats = Mutex<[Double]>([])

    func register() -> Int {
        beats.withLock { beats in
            beats.append(monotonicSeconds())
            return beats.count - 1
        }
    }

    func beat(_ index: Int, at time: Double) { beats.withLock { $0[index] = time } }

    /// Whether every listener went round within `seconds`.
    func allAlive(within seconds: Double) -> Bool {
        let now = monotonicSeconds()
        return beats.withLock { $0.allSatisfy { now - $0 <= seconds } }
    }
}

extension IPAddress {
    /// The address in a socket address from recvfrom or accept.
    init?(_ storage: sockaddr_storage) {
        var storage = storage
        self.init(socketAddress: &storage)
    }

    /// The address in the `sockaddr_in` or `sockaddr_in6` at `pointer`, read in place.
    init?(socketAddress pointer: UnsafeRawPointer) {
        switch Int32(pointer.load(as: sockaddr.self).sa_family) {
        case AF_INET:
            self = .v4(IPv4Address(UInt32(bigEndian: pointer.load(as: sockaddr_in.self).sin_addr.s_addr)))
        case AF_INET6:
            let offset = MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!
            self = .v6(IPv6Address(high: UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
                                   low: UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: offset + 8,
                                                                                as: UInt64.self))))
        default:
            return nil
        }
    }
}
