import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Replaces a file whole, in a directory other software may write to: a reader sees the old contents or the new,
/// never part of either, and nothing planted at a predictable name is followed or overwritten.
///
/// The new contents go to a fresh name in the same directory (`.NAME.tmp-` and random hex), created with
/// `O_CREAT|O_EXCL|O_NOFOLLOW`, so that an existing file or symlink there makes the open fail rather than be
/// written through; then `fsync`, `rename` over the target, and an `fsync` of the directory, so that the rename
/// itself survives a crash.
public enum AtomicFile {
    /// How many fresh names are tried when one is taken (which only a planted file makes likely).
    static let attempts = 8

    public static func replace(atPath path: String, with data: Data, permissions: mode_t = 0o644) throws(FileError) {
        try replace(atPath: path, with: data, permissions: permissions, temporaryName: randomTemporaryName)
    }

    /// Throws what would make `replace` fail: the path is a directory (or another non-file), or its directory
    /// does not exist or is not writable. Checked by creating (and removing) a temporary file, as `replace` does.
    public static func checkReplaceable(atPath path: String) throws(FileError) {
        try checkTarget(path)
        let (directory, name) = split(path)
        let directoryFD = try openDirectory(directory)
        defer { close(directoryFD) }
        let (fd, temporary) = try createTemporary(in: directoryFD, for: name, 0o600, randomTemporaryName)
        close(fd)
        unlinkat(directoryFD, temporary, 0)
    }

    /// `temporaryName(NAME)` gives the candidate names; tests pass their own to plant files at them.
    static func replace(
        atPath path: String, with data: Data, permissions: mode_t, temporaryName: (String) -> String
    ) throws(FileError) {
        try checkTarget(path)
        let (directory, name) = split(path)
        let directoryFD = try openDirectory(directory)
        defer { close(directoryFD) }
        let (fd, temporary) = try createTemporary(in: directoryFD, for: name, permissions, temporaryName)
        var renamed = false
        defer { if !renamed { unlinkat(directoryFD, temporary, 0) } }
        do throws(FileError) {
            try writeAll(data, to: fd)
            guard fsync(fd) == 0 else { throw .system("cannot sync a temporary file", errno) }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw .system("cannot close a temporary file", errno) }
        guard renameat(directoryFD, temporary, directoryFD, name) == 0 else {
            throw .system("cannot replace the file", errno)
        }
        renamed = true
        guard fsync(directoryFD) == 0 else { throw .system("cannot sync the directory", errno) }
    }

    /// A file, a symlink (the rename replaces the link, not what it points to) or nothing yet can be replaced;
    /// a directory or anything else cannot, and says so before a temporary file is made for nothing.
    private static func checkTarget(_ path: String) throws(FileError) {
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG, info.st_mode & S_IFMT != S_IFLNK {
            throw .notRegularFile(FileError.kind(info.st_mode))
        }
    }

    private static func randomTemporaryName(for name: String) -> String {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return ".\(name).tmp-\(String(repeating: "0", count: 16 - suffix.count))\(suffix)"
    }

    private static func split(_ path: String) -> (directory: String, name: String) {
        let url = URL(fileURLWithPath: path)
        return (url.deletingLastPathComponent().path, url.lastPathComponent)
    }

    private static func openDirectory(_ directory: String) throws(FileError) -> Int32 {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("its directory cannot be opened", errno) }
        return fd
    }

    private static func createTemporary(
        in directoryFD: Int32, for name: String, _ permissions: mode_t, _ temporaryName: (String) -> String
    ) throws(FileError) -> (fd: Int32, name: String) {
        for _ in 0..<attempts {
            let candidate = temporaryName(name)
            let fd = openat(directoryFD, candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions)
            if fd >= 0 { return (fd, candidate) }
            // Taken, by a leftover or by something planted: never opened, try another name.
            guard errno == EEXIST else { throw .system("cannot create a file in its directory", errno) }
        }
        throw .system("cannot create a file in its directory", EEXIST)
    }

    private static func writeAll(_ data: Data, to fd: Int32) throws(FileError) {
        var written = 0
        while written < data.count {
            let count = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .system("cannot write a temporary file", errno)
            }
            written += count
        }
    }
}
