#if canImport(Glibc)
import Glibc
#endif

/// This machine's name, as `gethostname` reports it.
public enum HostName {
    /// Nil when the name cannot be read.
    public static func current() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
