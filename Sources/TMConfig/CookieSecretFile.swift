import Foundation
import TMSystem

/// The DNS cookie secret's file: 32 hexadecimal digits (16 bytes), which every server of a fleet can share so that
/// each accepts the others' cookies (RFC 9018). Read with the configuration; created by the daemon when missing.
public enum CookieSecretFile {
    public static let length = 16

    public enum Problem: Error, CustomStringConvertible {
        case unreadable(String)
        case malformed

        public var description: String {
            switch self {
            case .unreadable(let reason): "cannot be read: \(reason)"
            case .malformed:
                "must hold \(length * 2) hexadecimal digits (\(length) bytes), such as `openssl rand -hex 16` writes"
            }
        }
    }

    /// The secret, or nil when the file does not exist.
    public static func read(atPath path: String) throws(Problem) -> [UInt8]? {
        let data: Data
        do {
            data = try BoundedFile.read(atPath: path, limit: 4096)
        } catch .missing {
            return nil
        } catch {
            throw .unreadable("\(error)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count == length * 2 else { throw .malformed }
        var secret: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { throw .malformed }
            secret.append(byte)
            index = next
        }
        return secret
    }

    /// Writes a new random secret (mode 0600, never through a symlink) and returns it. Swift's system generator
    /// reads getrandom(2) on Linux, the kernel's CSPRNG.
    public static func create(atPath path: String) throws(FileError) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let text = secret.map { String($0, radix: 16).leftPadded(to: 2) }.joined() + "\n"
        try AtomicFile.replace(atPath: path, with: Data(text.utf8), permissions: 0o600)
        return secret
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
