internal import CMaxMindDB
import Foundation
import TMRouting

/// A MaxMind DB file (GeoLite2/GeoIP2 Country or City, DB-IP Lite in MMDB form), opened read-only and mapped.
/// Owns the libmaxminddb handle and closes it in deinit.
public final class MaxMindDatabase: LocationDatabase, @unchecked Sendable {
    // @unchecked: libmaxminddb lookups only read the mapped file, so concurrent lookups are safe.
    private let handle: UnsafeMutablePointer<MMDB_s>
    private let isIPv6Database: Bool

    public struct OpenError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(path: String) throws(OpenError) {
        handle = .allocate(capacity: 1)
        let status = MMDB_open(path, UInt32(MMDB_MODE_MMAP), handle)
        guard status == MMDB_SUCCESS else {
            handle.deallocate()
            throw OpenError(description: String(cString: MMDB_strerror(status)))
        }
        isIPv6Database = handle.pointee.metadata.ip_version == 6
    }

    deinit {
        MMDB_close(handle)
        handle.deallocate()
    }

    public func locate(_ address: IPAddress) -> DatabaseLocation? {
        var error: Int32 = 0
        var result = withSockaddr(address) { MMDB_lookup_sockaddr(handle, $0, &error) }
        guard error == MMDB_SUCCESS, result.found_entry else { return nil }
        let country = string(&result.entry, ["country", "iso_code"])
            ?? string(&result.entry, ["registered_country", "iso_code"])
        let subdivision = string(&result.entry, ["subdivisions", "0", "iso_code"])
        var prefix = Int(result.netmask)
        // IPv4 lookups in an IPv6 database report the netmask in IPv6 terms.
        if case .v4 = address, isIPv6Database { prefix = max(0, prefix - 96) }
        return DatabaseLocation(country: country, subdivision: subdivision, prefixLength: prefix)
    }

    /// A UTF-8 string at `path` below `entry`; libmaxminddb's strings are not NUL-terminated.
    private func string(_ entry: inout MMDB_entry_s, _ path: [String]) -> String? {
        var data = MMDB_entry_data_s()
        let cPath = path.map { strdup($0) } + [nil]
        defer { cPath.forEach { free($0) } }
        let status = cPath.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                MMDB_aget_value(&entry, &data, $0)
            }
        }
        guard status == MMDB_SUCCESS, data.has_data, data.type == UInt32(MMDB_DATA_TYPE_UTF8_STRING) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: data.utf8_string, count: Int(data.data_size)),
                      as: UTF8.self)
    }

    private func withSockaddr<R>(_ address: IPAddress, _ body: (UnsafePointer<sockaddr>) -> R) -> R {
        switch address {
        case .v4(let v4):
            var storage = sockaddr_in()
            storage.sin_family = sa_family_t(AF_INET)
            storage.sin_addr.s_addr = v4.value.bigEndian
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
        case .v6(let v6):
            var storage = sockaddr_in6()
            storage.sin6_family = sa_family_t(AF_INET6)
            withUnsafeMutableBytes(of: &storage.sin6_addr) { $0.copyBytes(from: v6.bytes) }
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
        }
    }
}
