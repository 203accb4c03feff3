import Foundation
import Synchronization
import TMRouting
import TMSystem
import TMWire

/// Answers the status queries that listeners hand over (a profile's status costs what its endpoints cost, up to
/// 200 of them, which is too long for a listener thread to spend), on a thread of its own. The reply goes back by
/// the way the request names: straight to the client for UDP, through the TCP listener for TCP.
final class StatusDesk: Sendable {
    /// More waiting than this and new requests are dropped, as a full socket buffer would drop them: status is
    /// for operators, and a flood of it must not grow memory.
    static let maxWaiting = 64

    struct Request: Sendable {
        let query: [UInt8]
        let client: IPAddress?
        let transport: Transport
        let reply: @Sendable ([UInt8]) -> Void
    }

    private let store: SnapshotStore
    private let status: any StatusSource
    private let waiting = Mutex<[Request]>([])
    private let wakeup = DispatchSemaphore(value: 0)

    /// `status` renders profiles (`StatusAnswer.elsewhere` from it would leave the query unanswered).
    init(store: SnapshotStore, status: any StatusSource) {
        self.store = store
        self.status = status
    }

    func start() {
        startNamedThread("status") { [self] in run() }
    }

    /// From a listener thread: queued, never waited for. False when the desk is full and the query is dropped.
    @discardableResult
    func submit(_ request: Request) -> Bool {
        let accepted = waiting.withLock { waiting in
            guard waiting.count < Self.maxWaiting else { return false }
            waiting.append(request)
            return true
        }
        if accepted { wakeup.signal() }
        return accepted
    }

    private func run() {
        var out = [UInt8](repeating: 0, count: DNSResponder.maxResponseSize)
        while true {
            wakeup.wait()
            let requests = waiting.withLock { waiting in
                defer { waiting.removeAll() }
                return waiting
            }
            for request in requests {
                let table = store.snapshot.table
                let written = request.query.withUnsafeBytes { query in
                    out.withUnsafeMutableBytes { out in
                        DNSResponder.respond(
                            to: query, into: out, table: table, transport: request.transport, client: request.client,
                            status: status)
                    }
                }
                guard let written, !written.isElsewhere else { continue }
                request.reply(Array(out[0..<written.length]))
            }
        }
    }
}
