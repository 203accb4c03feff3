import Foundation
import TMRouting
import TMSystem

/// Reads `fleet` in edgetm.json; the TLS files are checked separately, against the configuration directory.
enum FleetReader {
    static let instanceCharacters = "1 to 63 of the characters A-Z, a-z, 0-9, \".\", \"_\" and \"-\""

    static func read(_ section: ObjectReader) -> FleetSettings? {
        defer { section.finish() }
        let errorsBefore = section.log.issues.count
        let etcd = readURLs(section)
        let prefix = readPrefix(section)
        let instance = readInstance(section)
        let degradedWhen = readDegradedWhen(section)
        let caFile = readFile(section, "caFile")
        let certFile = readFile(section, "certFile")
        let keyFile = readFile(section, "keyFile")
        if (certFile == nil) != (keyFile == nil) {
            section.error(
                certFile == nil ? "certFile" : "keyFile",
                "is required with \(certFile == nil ? "keyFile" : "certFile"): a client certificate needs its key")
        }
        // Without an https:// URL nothing reads the files; a warning, so a switch to plain http needs one edit only.
        if let etcd, !etcd.contains(where: { $0.lowercased().hasPrefix("https://") }) {
            for (key, file) in [("caFile", caFile), ("certFile", certFile), ("keyFile", keyFile)] where file != nil {
                section.warning(key, "is ignored: no fleet.etcd URL is https://")
            }
        }
        let failed = section.log.issues.dropFirst(errorsBefore).contains { $0.severity == .error }
        guard !failed, let etcd, let instance else { return nil }
        return FleetSettings(
            etcd: etcd, prefix: prefix ?? "/edgetm/", instance: instance, degradedWhen: degradedWhen ?? .majority,
            caFile: caFile, certFile: certFile, keyFile: keyFile)
    }

    /// The TLS files resolved against `directory`; each must exist, so that a typo shows at `check`, not as a
    /// handshake failure once the daemon runs.
    static func resolveFiles(_ fleet: FleetSettings, directory: String, log: IssueLog) -> FleetSettings? {
        var failed = false
        func resolve(_ file: String?, _ key: String) -> String? {
            guard let file else { return nil }
            let path = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: directory + "/")).path
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                log.error(ConfigLoader.serverFile, "fleet.\(key)", "\"\(file)\" does not exist")
                failed = true
            } else if isDirectory.boolValue {
                log.error(ConfigLoader.serverFile, "fleet.\(key)", "\"\(file)\" is a directory, not a file")
                failed = true
            }
            return path
        }
        let resolved = FleetSettings(
            etcd: fleet.etcd, prefix: fleet.prefix, instance: fleet.instance, degradedWhen: fleet.degradedWhen,
            caFile: resolve(fleet.caFile, "caFile"), certFile: resolve(fleet.certFile, "certFile"),
            keyFile: resolve(fleet.keyFile, "keyFile"))
        return failed ? nil : resolved
    }

    private static func readURLs(_ section: ObjectReader) -> [String]? {
        guard let elements = section.array("etcd", required: true) else { return nil }
        var urls: [String] = []
        for (value, path) in elements {
            guard case .string(let text) = value, isEtcdURL(text) else {
                section.error(
                    atPath: path, "\(value.shortDescription) is not an http:// or https:// URL with a host and port")
                continue
            }
            urls.append(text)
        }
        if elements.isEmpty { section.error("etcd", "must list at least one URL, such as \"http://127.0.0.1:2379\"") }
        return urls.count == elements.count && !urls.isEmpty ? urls : nil
    }

    /// `http://host:port` or `https://host:port`, with at most a `/` after: etcd's client API lives at the root,
    /// so a path is a mistake, and without a port one would be guessed.
    static func isEtcdURL(_ text: String) -> Bool {
        let lowered = text.lowercased()
        guard let scheme = ["http://", "https://"].first(where: { lowered.hasPrefix($0) }) else { return false }
        var rest = Substring(text.dropFirst(scheme.count))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        let host: Substring
        let port: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return false }
            host = rest[rest.index(after: rest.startIndex)..<close]
            guard IPv6Address(host) != nil else { return false }
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":") else { return false }
            port = after.dropFirst()
        } else {
            guard let colon = rest.lastIndex(of: ":") else { return false }
            host = rest[..<colon]
            port = rest[rest.index(after: colon)...]
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
            guard !host.isEmpty, host.allSatisfy(allowed.contains) else { return false }
        }
        guard !port.isEmpty, port.count <= 5, port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber),
            let number = Int(port), (1...65535).contains(number)
        else { return false }
        return true
    }

    private static func readPrefix(_ section: ObjectReader) -> String? {
        guard let prefix = section.string("prefix") else { return nil }
        guard prefix.hasPrefix("/"), prefix.hasSuffix("/") else {
            section.error("prefix", "\"\(prefix)\" must start and end with \"/\", such as \"/edgetm/\"")
            return nil
        }
        let unsafe = { (scalar: Unicode.Scalar) in
            scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F
        }
        guard !prefix.unicodeScalars.contains(where: unsafe) else {
            section.error("prefix", "\"\(prefix)\" must not contain spaces or control characters")
            return nil
        }
        return prefix
    }

    /// Vantage points publish health under their instance name, so it must be a safe etcd key segment.
    static func isInstanceName(_ text: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        return (1...63).contains(text.count) && text.allSatisfy(allowed.contains)
    }

    private static func readInstance(_ section: ObjectReader) -> String? {
        if let instance = section.string("instance") {
            guard isInstanceName(instance) else {
                section.error("instance", "\"\(instance)\" must be \(instanceCharacters)")
                return nil
            }
            return instance
        }
        if section.has("instance") { return nil }
        guard let host = HostName.current(), isInstanceName(host) else {
            section.error(
                "instance",
                "is required: the host name \"\(HostName.current() ?? "")\" is not \(instanceCharacters)")
            return nil
        }
        return host
    }

    private static func readDegradedWhen(_ section: ObjectReader) -> DegradedWhen? {
        guard let value = section.value("degradedWhen") else { return nil }
        switch value {
        case .string("majority"): return .majority
        case .string("any"): return .any
        case .string("all"): return .all
        case .number(let share) where share > 0 && share <= 1: return .fraction(share)
        default:
            section.error(
                "degradedWhen",
                "\(value.shortDescription) must be \"majority\", \"any\", \"all\" or a number above 0 and at most 1")
            return nil
        }
    }

    private static func readFile(_ section: ObjectReader, _ key: String) -> String? {
        guard let file = section.string(key) else { return nil }
        guard !file.isEmpty else {
            section.error(key, "must not be empty")
            return nil
        }
        return file
    }
}
