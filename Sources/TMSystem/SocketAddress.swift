import TMRouting

#if canImport(Glibc)
import Glibc
#endif

extension IPAddress {
    /// Calls `body` with this address and `port` as a `sockaddr_in` or `sockaddr_in6`: the one place socket
    /// addresses are made, for binding and for geo database lookups alike.
    public func withSockaddr<R>(port: UInt16 = 0, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch self {
        case .v4(let v4):
            var storage = sockaddr_in()
            storage.sin_family = sa_family_t(AF_INET)
            storage.sin_port = port.bigEndian
            storage.sin_addr.s_addr = v4.value.bigEndian
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(let v6):
            var storage = sockaddr_in6()
            storage.sin6_family = sa_family_t(AF_INET6)
            storage.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage.sin6_addr) { bytes in
                for index in 0..<8 {
                    bytes[index] = UInt8(truncatingIfNeeded: v6.high >> (56 - 8 * index))
                    bytes[index + 8] = UInt8(truncatingIfNeeded: v6.low >> (56 - 8 * index))
                }
            }
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// The address in the `sockaddr_in` or `sockaddr_in6` at `pointer` (from recvmmsg or accept), read in place.
    public init?(socketAddress pointer: UnsafeRawPointer) {
        switch Int32(pointer.load(as: sockaddr.self).sa_family) {
        case AF_INET:
            self = .v4(IPv4Address(UInt32(bigEndian: pointer.load(as: sockaddr_in.self).sin_addr.s_addr)))
        case AF_INET6:
            let offset = MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!
            self = .v6(
                IPv6Address(
                    high: UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
                    low: UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))))
        default:
            return nil
        }
    }
}
