import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Replies made off a TCP listener's thread for its connections, with a pipe that wakes the listener's poll loop
/// when one arrives.
final class StreamOutbox: Sendable {
    private let replies = Mutex<[(fd: Int32, serial: UInt64, reply: [UInt8])]>([])
    /// The read end, polled by the listener; the write end gets a byte per post.
    let wakeFD: Int32
    private let signalFD: Int32

    init() {
        var ends: [Int32] = [-1, -1]
        precondition(pipe(&ends) == 0, "cannot make a pipe for the TCP listener")
        for end in ends {
            Socket.setNonBlocking(end)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        wakeFD = ends[0]
        signalFD = ends[1]
    }

    /// From any thread.
    func post(fd: Int32, serial: UInt64, reply: [UInt8]) {
        replies.withLock { $0.append((fd, serial, reply)) }
        var byte: UInt8 = 1
        // A full pipe already holds a wake-up: the byte is not needed.
        _ = write(signalFD, &byte, 1)
    }

    /// On the listener's thread, when `wakeFD` is readable.
    func take() -> [(fd: Int32, serial: UInt64, reply: [UInt8])] {
        var drain = [UInt8](repeating: 0, count: 64)
        while read(wakeFD, &drain, drain.count) > 0 {}
        return replies.withLock { replies in
            defer { replies.removeAll() }
            return replies
        }
    }
}
