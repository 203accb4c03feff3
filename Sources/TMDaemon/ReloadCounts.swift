import Foundation
import Synchronization
import TMStatus

/// Reload outcomes, for the zone status, the JSON status and metrics: written by the publisher, read by a scrape.
final class ReloadCounts: Sendable {
    private struct Counts {
        var succeeded: UInt64 = 0
        var failed: UInt64 = 0
        var lastSuccess: Date?
        var last: ReloadRecord?
    }

    private let counts = Mutex(Counts())

    func record(_ reload: ReloadRecord) {
        counts.withLock { counts in
            counts.last = reload
            if reload.succeeded {
                counts.succeeded += 1
                counts.lastSuccess = reload.time
            } else {
                counts.failed += 1
            }
        }
    }

    var current: (succeeded: UInt64, failed: UInt64, lastSuccess: Date?) {
        counts.withLock { ($0.succeeded, $0.failed, $0.lastSuccess) }
    }

    /// The last reload, and the configuration generation (reloads that took effect).
    var last: (record: ReloadRecord?, generation: Int) { counts.withLock { ($0.last, Int($0.succeeded)) } }
}
