import Foundation
import Testing

@testable import TMSystem

#if canImport(Glibc)
import Glibc
#endif

/// `AtomicFile` and `BoundedFile` against what may sit in a shared directory: planted symlinks, directories, FIFOs,
/// files too large to read.
struct FileSafetyTests {
    /// A fresh directory under /tmp, removed by `remove()`.
    struct Scratch {
        let path: String

        init() throws {
            var template = Array("/tmp/edgetm-file-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
            path = String(cString: made)
        }

        func file(_ name: String) -> String { path + "/" + name }
        func remove() { try? FileManager.default.removeItem(atPath: path) }
        func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }
    }

    @Test func replaceWritesTheWholeFileAndLeavesNoTemporary() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let target = scratch.file("state.json")
        try Data("old".utf8).write(to: URL(fileURLWithPath: target))
        try AtomicFile.replace(atPath: target, with: Data("new contents".utf8))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "new contents")
        #expect(try scratch.names() == ["state.json"])
        var info = stat()
        #expect(stat(target, &info) == 0)
        #expect(info.st_mode & 0o022 == 0, "group and others never get write permission")
    }

    /// The temporary names are taken by a symlink to a file (which the old code would have written through) and a
    /// dangling one (which O_CREAT alone would have created the target of): neither is followed, and the next
    /// fresh name is used.
    @Test func plantedSymlinksAtTheTemporaryNameAreNotFollowed() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let victim = scratch.file("victim")
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        let target = scratch.file("state.json")
        #expect(symlink(victim, scratch.file(".state.json.tmp-planted")) == 0)
        #expect(symlink(scratch.file("created-through-link"), scratch.file(".state.json.tmp-dangling")) == 0)
        var candidates = ["planted", "dangling", "fresh"].makeIterator()
        try AtomicFile.replace(
            atPath: target, with: Data("health".utf8), permissions: 0o644,
            temporaryName: { ".\($0).tmp-\(candidates.next()!)" })
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "health")
        #expect(try scratch.names() == [".state.json.tmp-dangling", ".state.json.tmp-planted", "state.json", "victim"])
    }

    @Test func everyNameTakenIsAnErrorAndWritesNothing() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let victim = scratch.file("victim")
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        #expect(symlink(victim, scratch.file(".state.json.tmp-planted")) == 0)
        #expect(throws: FileError.system("cannot create a file in its directory", EEXIST)) {
            try AtomicFile.replace(
                atPath: scratch.file("state.json"), with: Data("x".utf8), permissions: 0o644,
                temporaryName: { ".\($0).tmp-planted" })
        }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
        #expect(!FileManager.default.fileExists(atPath: scratch.file("state.json")))
    }

    @Test func aDirectoryAtThePathIsRefusedBeforeAndWhenWriting() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let target = scratch.file("state.json")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        #expect(throws: FileError.notRegularFile("a directory")) { try AtomicFile.checkReplaceable(atPath: target) }
        #expect(throws: FileError.notRegularFile("a directory")) {
            try AtomicFile.replace(atPath: target, with: Data("x".utf8))
        }
        #expect(try scratch.names() == ["state.json"], "no temporary file is left behind")
        #expect(FileError.notRegularFile("a directory").description == "is a directory")
    }

    /// /sys refuses new files even to root, so this holds whoever runs the tests.
    @Test func aDirectoryThatIsMissingOrNotWritableIsRefused() throws {
        #expect(throws: FileError.system("cannot create a file in its directory", EACCES)) {
            try AtomicFile.checkReplaceable(atPath: "/sys/edgetm-test-state.json")
        }
        #expect(throws: FileError.system("its directory cannot be opened", ENOENT)) {
            try AtomicFile.checkReplaceable(atPath: "/nonexistent-edgetm/state.json")
        }
        #expect(
            FileError.system("cannot create a file in its directory", EACCES).description
                == "cannot create a file in its directory: Permission denied")
    }

    @Test func checkReplaceableAcceptsAFileASymlinkOrNothingAndLeavesNoTrace() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try AtomicFile.checkReplaceable(atPath: scratch.file("state.json"))
        try Data("x".utf8).write(to: URL(fileURLWithPath: scratch.file("file")))
        try AtomicFile.checkReplaceable(atPath: scratch.file("file"))
        #expect(symlink(scratch.file("file"), scratch.file("link")) == 0)
        try AtomicFile.checkReplaceable(atPath: scratch.file("link"))
        #expect(try scratch.names() == ["file", "link"])
    }

    @Test func boundedReadReadsFilesUpToTheLimit() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.file("doc")
        try Data(repeating: 0x61, count: 1000).write(to: URL(fileURLWithPath: path))
        #expect(try BoundedFile.read(atPath: path, limit: 1000) == Data(repeating: 0x61, count: 1000))
        #expect(throws: FileError.tooLarge(size: 1000, limit: 999)) { try BoundedFile.read(atPath: path, limit: 999) }
        try Data().write(to: URL(fileURLWithPath: path))
        #expect(try BoundedFile.read(atPath: path, limit: 10) == Data())
        #expect(throws: FileError.missing) { try BoundedFile.read(atPath: scratch.file("none"), limit: 10) }
    }

    /// The size comes from fstat: a sparse 1 GiB file is refused at once, with its full size.
    @Test func aLargeFileIsRefusedWithoutReadingIt() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.file("huge")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, 1 << 30) == 0)
        let start = Date()
        #expect(throws: FileError.tooLarge(size: 1 << 30, limit: 64 << 20)) {
            try BoundedFile.read(atPath: path, limit: 64 << 20)
        }
        #expect(Date().timeIntervalSince(start) < 0.1)
        #expect(
            FileError.tooLarge(size: 1 << 30, limit: 64 << 20).description
                == "is 1073741824 bytes, more than the limit of 64 MiB")
    }

    /// A file that says it is empty but is not (as /proc files do) is still read only up to the limit.
    @Test func aFileLargerThanItsStatSizeIsCutAtTheLimit() throws {
        #expect(try BoundedFile.read(atPath: "/proc/self/status", limit: 1 << 20).count > 100)
        #expect(throws: FileError.tooLarge(size: 11, limit: 10)) {
            try BoundedFile.read(atPath: "/proc/self/status", limit: 10)
        }
    }

    /// Opening a FIFO for reading would wait for a writer forever; it is refused at once instead.
    @Test func aFIFOOrDirectoryIsRefusedAtOnce() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        #expect(mkfifo(scratch.file("fifo"), 0o600) == 0)
        #expect(throws: FileError.notRegularFile("a FIFO")) {
            try BoundedFile.read(atPath: scratch.file("fifo"), limit: 10)
        }
        #expect(throws: FileError.notRegularFile("a directory")) {
            try BoundedFile.read(atPath: scratch.path, limit: 10)
        }
    }
}
