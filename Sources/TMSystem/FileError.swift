#if canImport(Glibc)
import Glibc
#endif

/// Why a file could not be read or replaced, worded to follow its path in a message.
public enum FileError: Error, Equatable, CustomStringConvertible {
    case missing
    /// It exists but is something else: "a directory", "a FIFO", ...
    case notRegularFile(String)
    case tooLarge(size: Int64, limit: Int)
    /// A system call failed: what was being done, and errno.
    case system(String, Int32)

    public var description: String {
        switch self {
        case .missing: "no such file"
        case .notRegularFile(let kind): "is \(kind)"
        case .tooLarge(let size, let limit): "is \(size) bytes, more than the limit of \(Self.sizeText(limit))"
        case .system(let action, let code): "\(action): \(String(cString: strerror(code)))"
        }
    }

    /// `16 MiB` for limits that are whole mebibytes.
    public static func sizeText(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }

    /// What a file of mode `mode` is, for `notRegularFile`.
    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR, S_IFBLK: "a device"
        case S_IFLNK: "a symbolic link"
        default: "not a regular file"
        }
    }
}
