import Foundation
import Testing

@testable import TMConfig

#if canImport(Glibc)
import Glibc
#endif

/// Files too large and JSON nested too deep are refused as `FILE: $: message`, before they cost time or memory.
struct InputLimitTests {
    /// `depth` arrays inside each other around `inner`.
    static func nested(_ depth: Int, _ inner: String = "1") -> String {
        String(repeating: "[", count: depth) + inner + String(repeating: "]", count: depth)
    }

    @Test func nestingUpToTheLimitParses() throws {
        #expect(JSONValue.firstTooDeep(Data(Self.nested(64).utf8)) == nil)
        let value = try JSONValue.parse(Data(Self.nested(64).utf8))
        #expect(value.shortDescription == "an array")
    }

    @Test func nestingBeyondTheLimitNamesWhere() throws {
        let text = "{\n  \"a\": " + Self.nested(64) + "\n}"
        let position = try #require(JSONValue.firstTooDeep(Data(text.utf8)))
        // The 64th "[" is level 65: line 2, after two spaces, `"a": ` and 63 brackets.
        #expect(position.line == 2 && position.column == 2 + 5 + 64)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Data(text.utf8)) }
    }

    /// Brackets inside strings, escaped quotes among them, are not nesting.
    @Test func bracketsInStringsDoNotCount() throws {
        let inner = "\"" + String(repeating: "[{\\\"", count: 200) + "\""
        let text = Self.nested(60, inner)
        #expect(JSONValue.firstTooDeep(Data(text.utf8)) == nil)
        #expect(try JSONValue.parse(Data(text.utf8)).shortDescription == "an array")
        // Without the escape handling, the quote after the backslash would end the string and these would count.
        let tricky = "[\"\\\"\", " + Self.nested(64) + "]"
        #expect(JSONValue.firstTooDeep(Data(tricky.utf8)) != nil, "the 65th level is outside the string")
    }

    /// JSONSerialization took 27 s for this shape; the scan refuses it at once.
    @Test func aSmallFileNestedDeepIsRefusedInMilliseconds() throws {
        let profile =
            "{ \"name\": \"app\", \"properties\": " + Self.nested(500, "{}") + String(repeating: " ", count: 19_000)
            + "}"
        #expect(profile.utf8.count > 20_000)
        let start = Date()
        let issues = try ConfigFixture.issues(profile: profile)
        #expect(Date().timeIntervalSince(start) < 1)
        // The object is level 1, so the 64th "[" (31 bytes of prefix, then 64) is level 65.
        #expect(
            issues == ["profiles/app.json: $: is not valid JSON: nested deeper than 64 levels at line 1, column 95"])
    }

    /// Sparse files: the refusal comes from the size fstat reports, and is immediate.
    @Test(arguments: ["edgetm.json", "profiles/big.json"])
    func aFileLargerThan16MiBIsRefusedUnread(_ file: String) throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let path = fixture.directory.appendingPathComponent(file).path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, off_t(ConfigLoader.maxFileSize + 1)) == 0)
        let start = Date()
        let result = fixture.load()
        #expect(Date().timeIntervalSince(start) < 1)
        #expect(result.configuration == nil)
        #expect(
            result.errors.map(\.description).contains(
                "\(file): $: cannot be read: is \(ConfigLoader.maxFileSize + 1) bytes, more than the limit of 16 MiB"),
            "\(result.errors)")
    }

    @Test func aFileOfExactly16MiBIsRead() throws {
        let padding = String(repeating: " ", count: ConfigLoader.maxFileSize - ConfigFixture.app.utf8.count)
        let fixture = try ConfigFixture(profiles: ["app.json": ConfigFixture.app + padding])
        defer { fixture.remove() }
        let result = fixture.load()
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.configuration?.profiles.count == 1)
    }

    @Test func aDirectoryNamedLikeAProfileIsReported() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        try FileManager.default.createDirectory(
            at: fixture.directory.appendingPathComponent("profiles/dir.json"), withIntermediateDirectories: false)
        #expect(
            fixture.load().errors.map(\.description) == ["profiles/dir.json: $: cannot be read: is a directory"])
    }
}
