import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Why a control socket operation failed, in words for an operator.
public struct ControlError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// The control socket's transport: a Unix stream socket carrying one JSON line each way.
public enum UnixSocket {
    /// Longest message either side accepts: admin requests and listings are small.
    public static let maxMessage = 1 << 20

    static func withAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) throws(ControlError)
        -> R
    {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw ControlError("control socket path \(path) is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes + [0]) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    /// A connected socket, or the reason in the words an operator needs: not running, or not allowed.
    public static func connect(_ path: String) throws(ControlError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlError("cannot open a socket: \(String(cString: strerror(errno)))") }
        let result = try withAddress(path) { Glibc.connect(fd, $0, $1) }
        guard result == 0 else {
            let code = errno
            close(fd)
            switch code {
            case ENOENT, ECONNREFUSED:
                throw ControlError("edgetm is not running (no daemon listens on \(path))")
            case EACCES, EPERM:
                throw ControlError("permission denied on \(path): run as root or as the user edgetm runs as")
            default:
                throw ControlError("cannot connect to \(path): \(String(cString: strerror(code)))")
            }
        }
        return fd
    }

    /// A listening socket at `path`, mode 0600 (only its owner, and root, may connect). A socket left behind by a
    /// process that is gone is replaced; a live one, or anything that is not a socket, is an error.
    public static func listen(_ path: String) throws(ControlError) -> Int32 {
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw ControlError("\(path) exists and is not a socket; remove it or choose another --control path")
            }
            if let fd = try? connect(path) {
                close(fd)
                throw ControlError("another edgetm already listens on \(path)")
            }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlError("cannot open a socket: \(String(cString: strerror(errno)))") }
        // The mode is set as the socket is made, so that there is no moment when others could connect.
        let previous = umask(0o177)
        let bound = try withAddress(path) { bind(fd, $0, $1) }
        let code = errno
        umask(previous)
        guard bound == 0, Glibc.listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(bound == 0 ? errno : code))
            close(fd)
            throw ControlError("cannot listen on \(path): \(reason)")
        }
        return fd
    }

    /// Bytes up to the first newline (without it), within `maxMessage`; nil on end, error or timeout first.
    public static func readLine(_ fd: Int32) -> [UInt8]? {
        var message: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while message.count <= maxMessage {
            let count = read(fd, &chunk, chunk.count)
            guard count > 0 else { return nil }
            if let newline = chunk[0..<count].firstIndex(of: UInt8(ascii: "\n")) {
                return message + chunk[0..<newline]
            }
            message += chunk[0..<count]
        }
        return nil
    }

    /// The whole line, newline appended; false when the peer went away.
    @discardableResult
    public static func writeLine(_ fd: Int32, _ data: Data) -> Bool {
        var bytes = [UInt8](data)
        bytes.append(UInt8(ascii: "\n"))
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }

    /// Bounds how long a read or write may wait, so that a stuck peer cannot hold the other side.
    public static func setTimeout(_ fd: Int32, seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            setsockopt(fd, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
    }
}
