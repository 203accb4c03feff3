import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TMWire

/// Answers DNS over UDP on one bound socket, from its own thread.
final class UDPListener: @unchecked Sendable {
    // @unchecked: the descriptor is written once in init; only the listener's own thread uses it afterwards.
    private let fd: Int32
    private let store: SnapshotStore

    init(fd: Int32, store: SnapshotStore) {
        self.fd = fd
        self.store = store
    }

    func start(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    private func run() {
        var reader = SnapshotReader(store: store)
        var buffer = [UInt8](repeating: 0, count: 65535)
        var peer = sockaddr_storage()
        while true {
            var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let received = buffer.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, bytes.baseAddress, bytes.count, 0, $0, &peerLength)
                    }
                }
            }
            guard received > 0 else {
                if received < 0, errno != EINTR, errno != EAGAIN { return }
                continue
            }
            let table = reader.currentTable()
            let response = buffer.withUnsafeBytes {
                DNSResponder.respond(to: UnsafeRawBufferPointer(rebasing: $0[0..<received]), table: table,
                                     transport: .udp)
            }
            guard let response else { continue }
            response.withUnsafeBytes { bytes in
                withUnsafePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        _ = sendto(fd, bytes.baseAddress, bytes.count, 0, $0, peerLength)
                    }
                }
            }
        }
    }
}
