import Foundation

/// Starts a thread whose name the system shows (top, /proc/PID/task/*/comm): Foundation's `Thread.name` is not
/// passed on to the OS thread on Linux. Names are cut to the 15 bytes the kernel keeps. The one way edgetm starts
/// a thread.
public func startNamedThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
    Thread {
        try? String(decoding: name.utf8.prefix(15), as: UTF8.self).write(
            toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
        body()
    }.start()
}
