import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads a whole file only when it is a regular file no larger than a limit: the size is checked with `fstat`
/// before anything is read, and the read itself stops one byte past the limit, so a file that grows meanwhile
/// (or lies about its size, as /proc files do) costs at most `limit + 1` bytes of memory.
public enum BoundedFile {
    public static func read(atPath path: String, limit: Int) throws(FileError) -> Data {
        // O_NONBLOCK: opening a FIFO planted at the path returns at once instead of waiting for a writer.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw errno == ENOENT ? .missing : .system("open", errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system("fstat", errno) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notRegularFile(FileError.kind(info.st_mode)) }
        guard info.st_size <= limit else { throw .tooLarge(size: Int64(info.st_size), limit: limit) }
        var data = Data(count: Int(info.st_size) + 1)
        var filled = 0
        while true {
            if filled == data.count { data.count = min(data.count * 2, limit + 1) }
            let count = data.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .system("read", errno)
            }
            if count == 0 { break }
            filled += count
            guard filled <= limit else { throw .tooLarge(size: Int64(filled), limit: limit) }
        }
        data.count = filled
        return data
    }
}
