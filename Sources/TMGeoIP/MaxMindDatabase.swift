internal import CMaxMindDB
import Foundation
import TMRouting
import TMSystem

/// A MaxMind DB file (GeoLite2/GeoIP2 Country or City, DB-IP Lite in MMDB form), opened read-only and mapped.
/// Owns the libmaxminddb handle and closes it in deinit.
public final class MaxMindDatabase: LocationDatabase, @unchecked Sendable {
    // @unchecked: libmaxminddb lookups only read the mapped file, so concurrent lookups are safe.
    private let handle: UnsafeMutablePointer<MMDB_s>
    private let isIPv6Database: Bool
    /// `MMDB_aget_value` paths (NULL-terminated C string arrays), made once: a lookup builds no C strings. The
    /// database owns them and frees them in deinit.
    private let countryPath: CPath
    private let registeredCountryPath: CPath
    private let subdivisionPath: CPath
    private typealias CPath = UnsafeMutablePointer<UnsafePointer<CChar>?>

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
        countryPath = Self.makePath(["country", "iso_code"])
        registeredCountryPath = Self.makePath(["registered_country", "iso_code"])
        subdivisionPath = Self.makePath(["subdivisions", "0", "iso_code"])
    }

    deinit {
        MMDB_close(handle)
        handle.deallocate()
        for path in [countryPath, registeredCountryPath, subdivisionPath] { Self.freePath(path) }
    }

    public func locate(_ address: IPAddress) -> DatabaseLocation? {
        var error: Int32 = 0
        var result = address.withSockaddr { address, _ in MMDB_lookup_sockaddr(handle, address, &error) }
        guard error == MMDB_SUCCESS, result.found_entry else { return nil }
        let country = string(&result.entry, countryPath) ?? string(&result.entry, registeredCountryPath)
        let subdivision = string(&result.entry, subdivisionPath)
        var prefix = Int(result.netmask)
        // IPv4 lookups in an IPv6 database report the netmask in IPv6 terms.
        if case .v4 = address, isIPv6Database { prefix = max(0, prefix - 96) }
        return DatabaseLocation(country: country, subdivision: subdivision, prefixLength: prefix)
    }

    /// A UTF-8 string at `path` below `entry`; libmaxminddb's strings are not NUL-terminated. ISO codes fit in a
    /// small (inline) Swift string, so this allocates nothing for them.
    private func string(_ entry: inout MMDB_entry_s, _ path: CPath) -> String? {
        var data = MMDB_entry_data_s()
        let status = MMDB_aget_value(&entry, &data, path)
        guard status == MMDB_SUCCESS, data.has_data, data.type == UInt32(MMDB_DATA_TYPE_UTF8_STRING) else { return nil }
        return String(
            decoding: UnsafeRawBufferPointer(start: data.utf8_string, count: Int(data.data_size)),
            as: UTF8.self)
    }

    private static func makePath(_ elements: [String]) -> CPath {
        let path = CPath.allocate(capacity: elements.count + 1)
        for (index, element) in elements.enumerated() { path[index] = UnsafePointer(strdup(element)) }
        path[elements.count] = nil
        return path
    }

    private static func freePath(_ path: CPath) {
        var index = 0
        while let element = path[index] {
            free(UnsafeMutablePointer(mutating: element))
            index += 1
        }
        path.deallocate()
    }
}
