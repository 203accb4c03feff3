import CSocketShim
import Foundation

/// How many CPUs this process may run on: its affinity mask (taskset, systemd's CPUAffinity=, a container's
/// cpuset), not the machine's core count, so that a pinned server does not start listener threads that can only
/// take turns on one core.
public func allowedCPUCount() -> Int {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let allowed = Int(csock_allowed_cpu_count())
    return allowed > 0 ? min(allowed, cores) : cores
}
