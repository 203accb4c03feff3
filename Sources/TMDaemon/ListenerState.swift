import TMRouting
import TMSystem
import TMWire

/// One listener thread's private state: its snapshot view and its uncounted answers.
struct ListenerState {
    private var reader: SnapshotReader
    /// By endpoint id of `tallySnapshot`.
    private var tally: [UInt64]
    private var tallySnapshot: ServingSnapshot
    private var queries = QueryTally()
    private var lastFlush = monotonicSeconds()
    private let context: ListenerContext
    private let beat: Int
    /// The clocks as of the last `tick` (before every receive, and at least once a second): rate limiting counts
    /// whole seconds and cookies carry whole seconds, so no query reads a clock.
    private var monotonicSecond = UInt32(truncatingIfNeeded: Int(monotonicSeconds()))
    private var wallSecond = wallClockSeconds()
    /// Made when a snapshot first asks for rate limiting, then kept (buckets survive reloads).
    private var limiter: ResponseRateLimiter?
    private var dropped: UInt64 = 0
    private var slipped: UInt64 = 0

    init(context: ListenerContext) {
        self.context = context
        reader = SnapshotReader(store: context.store)
        tallySnapshot = context.store.snapshot
        tally = Self.emptyTally(for: tallySnapshot)
        beat = context.heartbeat.register()
    }

    /// Writes the response to one query into `out` (`DNSResponder.maxResponseSize` bytes) and counts it;
    /// returns its length, or nil for no response from here. A profile's status query goes to the status desk
    /// with the reply path `elsewhere()` makes (called only then), and gets nil.
    mutating func respond(
        to packet: UnsafeRawBufferPointer, from client: IPAddress?, transport: Transport,
        into out: UnsafeMutableRawBufferPointer, elsewhere: () -> @Sendable ([UInt8]) -> Void
    ) -> Int? {
        let (questionType, length) = answer(
            to: packet, from: client, transport: transport, into: out, elsewhere: elsewhere)
        // Counted as sent: nothing for a dropped or handed-over query, the truncated form for a slipped one.
        queries.count(
            transport: transport, client: client, questionType: questionType,
            response: length.map { UnsafeRawBufferPointer(rebasing: out[0..<$0]) })
        return length
    }

    /// The response's length (nil: none from here) and the question's type, before counting.
    private mutating func answer(
        to packet: UnsafeRawBufferPointer, from client: IPAddress?, transport: Transport,
        into out: UnsafeMutableRawBufferPointer, elsewhere: () -> @Sendable ([UInt8]) -> Void
    ) -> (questionType: UInt16, length: Int?) {
        let snapshot = follow()
        guard
            let response = DNSResponder.respond(
                to: packet, into: out, table: snapshot.table, transport: transport,
                client: client, status: context.status, cookies: snapshot.cookies, now: wallSecond)
        else { return (0, nil) }
        if response.isElsewhere {
            context.desk.submit(
                StatusDesk.Request(query: Array(packet), client: client, transport: transport, reply: elsewhere()))
            return (response.questionType, nil)
        }
        // TCP is never limited (its handshake proves the address), nor is a client that returned a valid cookie.
        if transport == .udp, response.cookie != .valid, let policy = snapshot.configuration.rateLimit, let client {
            let limiter = limiter ?? ResponseRateLimiter()
            self.limiter = limiter
            switch limiter.action(
                for: response, in: UnsafeRawBufferPointer(out), to: client, policy: policy, now: monotonicSecond)
            {
            case .send:
                break
            case .drop:
                dropped += 1
                return (response.questionType, nil)
            case .slip:
                slipped += 1
                return (response.questionType, DNSResponder.truncate(response, in: out))
            }
        }
        if response.endpointID >= 0, Int(response.endpointID) < tally.count { tally[Int(response.endpointID)] += 1 }
        return (response.questionType, response.length)
    }

    /// The current snapshot; a new one hands over the counts of the old, and the old one is let go.
    private mutating func follow() -> ServingSnapshot {
        let snapshot = reader.current()
        if snapshot !== tallySnapshot {
            flush(now: monotonicSeconds())
            tallySnapshot = snapshot
            tally = Self.emptyTally(for: snapshot)
        }
        return snapshot
    }

    private static func emptyTally(for snapshot: ServingSnapshot) -> [UInt64] {
        [UInt64](repeating: 0, count: snapshot.endpointKeys.count)
    }

    /// Called at least once a second by the listener loop: proves the thread is alive and hands over counts.
    /// Also moves to the current snapshot, so that an idle listener does not keep a replaced one (and its memory)
    /// alive.
    mutating func tick() {
        let now = monotonicSeconds()
        monotonicSecond = UInt32(truncatingIfNeeded: Int(now))
        wallSecond = wallClockSeconds()
        context.heartbeat.beat(beat, at: now)
        _ = follow()
        if now - lastFlush >= 1 { flush(now: now) }
    }

    private mutating func flush(now: Double) {
        lastFlush = now
        if !queries.isEmpty {
            context.queries.add(queries)
            queries.reset()
        }
        if dropped > 0 || slipped > 0 {
            context.rateLimited.add(dropped: dropped, slipped: slipped)
            (dropped, slipped) = (0, 0)
        }
        guard tally.contains(where: { $0 > 0 }) else { return }
        context.counters.add(tally, in: tallySnapshot)
        for index in tally.indices { tally[index] = 0 }
    }
}
