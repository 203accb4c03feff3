import Synchronization
import TMSystem

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
