import Dispatch
import Synchronization
import TMSystem

/// SIGHUPs, turned into reloads on a thread of their own. The signal thread only records the request, so that no
/// reload (loading a large configuration takes seconds) keeps it from seeing SIGTERM. Requests that arrive during a
/// reload become one more reload after it, which reads the files as they are by then.
final class ReloadRequests: Sendable {
    private let pending = Mutex(false)
    private let wakeup = DispatchSemaphore(value: 0)

    /// From the signal thread: returns at once.
    func request() {
        let wasPending = pending.withLock { pending in
            defer { pending = true }
            return pending
        }
        if !wasPending { wakeup.signal() }
    }

    /// Starts the thread `reload` that runs `body` once per request, coalescing requests made while it runs.
    func serve(_ body: @escaping @Sendable () -> Void) {
        startNamedThread("reload") { [self] in
            while true {
                wakeup.wait()
                pending.withLock { $0 = false }
                body()
            }
        }
    }
}
