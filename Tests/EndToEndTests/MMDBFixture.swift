import Foundation
import Testing

/// Geo databases for the end-to-end tests: small MaxMind DB files written by `scripts/make-test-mmdb.pl` (Debian's
/// libmaxmind-db-writer-perl), and the real 2018 GeoLite2 City database from PyPI's `maxminddb-geolite2`.
enum MMDBFixture {
    static let script = Paths.packageRoot.appendingPathComponent("scripts/make-test-mmdb.pl")
    static let perl = URL(fileURLWithPath: "/usr/bin/perl")

    /// Writes a GeoIP2-City shaped, IPv6 (IPv4 mapped) database to `url`. `networks` maps a network
    /// (`"192.0.2.0/24"`, `"2001:db8:1::/48"`) to a location code: a country (`"DE"`) or a country and subdivision
    /// (`"US-TX"`, stored as country US and subdivision TX, as GeoIP2 does). Throws a message that says what to
    /// install when the Perl module is missing.
    static func write(_ networks: [String: String], to url: URL) throws {
        var spec: [String: [String: String]] = [:]
        for (network, code) in networks {
            let parts = code.split(separator: "-", maxSplits: 1).map(String.init)
            var entry = ["country": parts[0]]
            if parts.count == 2 { entry["subdivision"] = parts[1] }
            spec[network] = entry
        }
        let specFile = url.deletingLastPathComponent().appendingPathComponent(url.lastPathComponent + ".spec.json")
        try Data(TestConfig.json(spec).utf8).write(to: specFile)
        guard FileManager.default.isExecutableFile(atPath: perl.path) else {
            throw HarnessError(
                "/usr/bin/perl is missing: install the Debian packages perl and libmaxmind-db-writer-perl")
        }
        let result = try Command.run(perl, [script.path, url.path, specFile.path], timeout: 60)
        if result.status == 3 || (result.status != 0 && result.stderr.contains("MaxMind::DB::Writer")) {
            throw HarnessError(
                "cannot write a test MaxMind database: the Perl module MaxMind::DB::Writer::Tree is "
                    + "missing: install the Debian package libmaxmind-db-writer-perl "
                    + "(apt-get install -y libmaxmind-db-writer-perl)\n\(result.stderr)")
        }
        guard result.status == 0 else {
            throw HarnessError(
                "scripts/make-test-mmdb.pl failed (\(result.termination.map(\.description) ?? "timed out")):\n"
                    + result.stdout + result.stderr)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        guard size > 0 else { throw HarnessError("scripts/make-test-mmdb.pl wrote no database at \(url.path)") }
    }
}

/// The real GeoLite2 City database of July 2018, as PyPI's `maxminddb-geolite2==2018.703` ships it: taken from
/// `EDGETM_GEOLITE2`, else from `/tmp/edgetm-geolite2`, else installed there with pip (once per test process).
enum GeoLite2 {
    static let installDirectory = URL(fileURLWithPath: "/tmp/edgetm-geolite2")
    static let requirement = "maxminddb-geolite2==2018.703"
    /// Where the package keeps the file (its module is `_maxminddb_geolite2`; the other spelling is tried too).
    static let relativePaths = ["_maxminddb_geolite2/GeoLite2-City.mmdb", "maxminddb_geolite2/GeoLite2-City.mmdb"]

    /// The database, or why there is none.
    static let lookup: Result<URL, HarnessError> = locate()

    /// Whether the test runs: when the database is there or could be installed, and when `EDGETM_GEOLITE2` names
    /// a file (a wrong path then fails the test rather than skipping it). Prints why when it does not.
    static var shouldRun: Bool {
        if let path = ProcessInfo.processInfo.environment["EDGETM_GEOLITE2"], !path.isEmpty { return true }
        switch lookup {
        case .success:
            return true
        case .failure(let error):
            FileHandle.standardError.write(Data("GeoLite2 test skipped: \(error.description)\n".utf8))
            return false
        }
    }

    static func require() throws -> URL { try lookup.get() }

    private static func existing(in directory: URL) -> URL? {
        relativePaths.map { directory.appendingPathComponent($0) }.first {
            FileManager.default.isReadableFile(atPath: $0.path)
        }
    }

    private static func locate() -> Result<URL, HarnessError> {
        if let path = ProcessInfo.processInfo.environment["EDGETM_GEOLITE2"], !path.isEmpty {
            return FileManager.default.isReadableFile(atPath: path)
                ? .success(URL(fileURLWithPath: path))
                : .failure(HarnessError("EDGETM_GEOLITE2=\(path) is not a readable file"))
        }
        if let found = existing(in: installDirectory) { return .success(found) }
        // Installed into a directory of its own and then renamed into place, so that two test processes never
        // see a half-written package.
        let staging = URL(fileURLWithPath: "/tmp/edgetm-geolite2.staging-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: staging) }
        let result: CommandResult
        do {
            result = try Command.run(
                URL(fileURLWithPath: "/usr/bin/env"),
                [
                    "python3", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--target", staging.path, requirement,
                ], timeout: 600)
        } catch {
            return .failure(
                HarnessError(
                    "cannot run python3 -m pip (\(error)); install python3-pip, or run "
                        + "`python3 -m pip install --no-deps --target \(installDirectory.path) \(requirement)`"))
        }
        guard result.status == 0, existing(in: staging) != nil else {
            let output = (result.stdout + result.stderr).split(separator: "\n").suffix(5).joined(separator: "\n")
            return .failure(
                HarnessError(
                    "the GeoLite2 database is not at \(installDirectory.path) and "
                        + "`python3 -m pip install --no-deps --target \(installDirectory.path) \(requirement)` failed "
                        + "(\(result.termination.map(\.description) ?? "timed out")): \(output)"))
        }
        if (try? FileManager.default.moveItem(at: staging, to: installDirectory)) == nil {
            // Another process installed it first, or an older broken directory is in the way.
            if existing(in: installDirectory) == nil {
                try? FileManager.default.removeItem(at: installDirectory)
                try? FileManager.default.moveItem(at: staging, to: installDirectory)
            }
        }
        if let found = existing(in: installDirectory) { return .success(found) }
        return .failure(
            HarnessError(
                "pip installed \(requirement) but no GeoLite2-City.mmdb appeared in "
                    + installDirectory.path))
    }
}

/// dig's `; CLIENT-SUBNET: 198.51.100.0/24/24` line: address, source prefix length, scope prefix length.
struct ClientSubnetEcho: Equatable, CustomStringConvertible {
    let address: String
    let sourcePrefixLength: Int
    let scopePrefixLength: Int

    var description: String { "\(address)/\(sourcePrefixLength)/\(scopePrefixLength)" }
}

extension DigResponse {
    /// The ECS option of the (last) response dig printed, or nil when it had none.
    var clientSubnetEcho: ClientSubnetEcho? {
        let prefix = "; CLIENT-SUBNET:"
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix(prefix) }) else { return nil }
        let parts = line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces).split(separator: "/")
        guard parts.count == 3, let source = Int(parts[1]), let scope = Int(parts[2]) else { return nil }
        return ClientSubnetEcho(address: String(parts[0]), sourcePrefixLength: source, scopePrefixLength: scope)
    }
}
