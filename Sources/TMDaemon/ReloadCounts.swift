import Foundation
import Synchronization

/// Reload outcomes for metrics: written by the publisher, read by a scrape.
final class ReloadCounts: Sendable {
    private struct Counts {
        var succeeded: UInt64 = 0
        var failed: UInt64 = 0
        var lastSuccess: Date?
    }

    private let counts = Mutex(Counts())

    func record(succeeded: Bool, at time: Date) {
        counts.withLock { counts in
            if succeeded {
                counts.succeeded += 1
                counts.lastSuccess = time
            } else {
                counts.failed += 1
            }
        }
    }

    var current: (succeeded: UInt64, failed: UInt64, lastSuccess: Date?) {
        counts.withLock { ($0.succeeded, $0.failed, $0.lastSuccess) }
    }
}
