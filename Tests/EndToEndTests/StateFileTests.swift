import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The state file in a directory other software may write to: planted symlinks, a path that cannot be written,
/// a file too large to read.
@Suite("state file")
struct StateFileTests {
    static let errorLine = "cannot write the state file"

    /// The standard zone, with `"stateFile": stateFile` when given.
    static func config(stateFile: String? = nil) throws -> TestConfig {
        let standard = try TestConfig.standard()
        guard let stateFile else { return standard }
        let file = standard.url.appendingPathComponent("edgetm.json")
        let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(
            of: #""profiles" : "profiles""#, with: #""profiles" : "profiles", "stateFile": "\#(stateFile)""#)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return standard
    }

    static func zoneStatus(_ server: ServerProcess) throws -> [String] {
        OperationsTests.txt(try server.dig(["tm.example", "TXT", "-c", "CH"]))
    }

    /// Before this was fixed, the temporary file was opened at this very name with O_CREAT|O_TRUNC, through the link.
    @Test("A symlink planted at the old temporary name ..state.json.tmp does not get its target overwritten")
    func plantedSymlinkIsNotFollowed() throws {
        let config = try Self.config()
        defer { config.remove() }
        let outside = try TemporaryDirectory("edgetm-e2e-victim")
        defer { outside.remove() }
        let victim = outside.file("victim")
        try Data("precious".utf8).write(to: victim)
        let planted = config.url.appendingPathComponent("..state.json.tmp")
        try FileManager.default.createSymbolicLink(at: planted, withDestinationURL: victim)
        let stateFile = config.url.appendingPathComponent(".state.json")
        try ServerProcess.with(config: config.url) { server in
            // A reload marks the health unsaved, so the state file is written about 250 ms later.
            server.signal(SIGHUP)
            #expect(
                eventuallyTrue(within: 5) { FileManager.default.fileExists(atPath: stateFile.path) },
                "no state file; log:\n\(server.log)")
            #expect(!server.log.contains(Self.errorLine), "\(server.log)")
        }
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: stateFile)) as? [String: Any]
        #expect(document?["endpoints"] is [Any] && document?["written"] is String, "\(String(describing: document))")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: planted.path) == victim.path)
        let left = try FileManager.default.contentsOfDirectory(atPath: config.path).filter {
            $0.hasPrefix(".state.json.tmp")
        }
        #expect(left.isEmpty, "temporary files left behind: \(left)")
    }

    /// `path` relative to the configuration directory; `reason` as the zone status spells it.
    static let unwritable: [(label: String, path: String, reason: String)] = [
        ("a directory", "state-dir", "is_a_directory"),
        // /sys takes no new files, even from root, so this holds whoever runs the tests.
        (
            "in a directory that is not writable", "/sys/edgetm-e2e-state.json",
            "cannot_create_a_file_in_its_directory:_Permission_denied"
        ),
    ]

    @Test(
        "An unwritable state path is logged once, with path and reason, and shown in the zone status; serving goes on",
        arguments: Array(unwritable.indices))
    func unwritablePathIsReported(_ index: Int) throws {
        let (label, relative, reason) = Self.unwritable[index]
        let config = try Self.config(stateFile: relative)
        defer { config.remove() }
        let path = relative.hasPrefix("/") ? relative : config.url.appendingPathComponent(relative).path
        if !relative.hasPrefix("/") {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        }
        try ServerProcess.with(config: config.url) { server in
            // Two reloads, so two more writes are tried: they must not log the same problem again.
            for reload in 1...2 {
                server.signal(SIGHUP)
                #expect(eventuallyTrue(within: 5) { server.log.components(separatedBy: "reloaded").count > reload })
                usleep(700_000)
            }
            let log = server.log
            let errors = log.components(separatedBy: "\n").filter { $0.contains(Self.errorLine) }
            #expect(errors.count == 1, "\(label): \(errors)")
            #expect(errors.first?.contains(path) == true, "\(label): \(errors)")
            #expect(
                errors.first?.contains(reason.replacingOccurrences(of: "_", with: " ")) == true, "\(label): \(errors)")
            let status = try Self.zoneStatus(server)
            #expect(status.dropFirst().first == "state-file=error path=\(path) reason=\(reason)", "\(label): \(status)")
            #expect(server.normalQueryProblemUDP() == nil)
        }
    }

    @Test("A writable state path shows no state-file line in the zone status")
    func writablePathShowsNothing() throws {
        let config = try Self.config()
        defer { config.remove() }
        try ServerProcess.with(config: config.url) { server in
            let status = try Self.zoneStatus(server)
            #expect(status.first?.hasPrefix("zone=tm.example.") == true)
            #expect(!status.contains { $0.hasPrefix("state-file=") }, "\(status)")
        }
    }

    /// A sparse file: if it were read, the message would give the bytes read, not the size fstat reports.
    @Test("A state file larger than 64 MiB is refused by its size, unread, and the server starts without it")
    func oversizedStateFileIsRefused() throws {
        let config = try Self.config()
        defer { config.remove() }
        let stateFile = config.url.appendingPathComponent(".state.json").path
        #expect(FileManager.default.createFile(atPath: stateFile, contents: nil))
        let size = (64 << 20) + 4096
        #expect(truncate(stateFile, off_t(size)) == 0)
        try ServerProcess.with(config: config.url) { server in
            #expect(server.log.contains("starting without saved health"), "\(server.log)")
            #expect(
                server.log.contains(
                    "state file \(stateFile) cannot be read: is \(size) bytes, more than the limit of 64 MiB"),
                "\(server.log)")
        }
    }
}
