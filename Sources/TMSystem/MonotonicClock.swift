#if canImport(Glibc)
import Glibc
#endif

/// Seconds on the monotonic clock: for schedules and timeouts, which must not jump with the wall clock. The one
/// clock the daemon's threads share.
public func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
