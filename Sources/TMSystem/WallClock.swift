#if canImport(Glibc)
import Glibc
#endif

/// Whole Unix seconds, from the coarse clock (no system call, about a millisecond of resolution): the timestamp
/// DNS cookies carry, which every server of a fleet must read alike, so it is wall time and not monotonic.
public func wallClockSeconds() -> UInt32 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME_COARSE, &now)
    return UInt32(truncatingIfNeeded: now.tv_sec)
}
