import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TMRouting
import TMWire

/// Answers DNS over UDP on one bound socket, from its own thread.
final class UDPListener: @unchecked Sendable {
    // @unchecked: the descriptor is written once in init; only the listener's own thread uses it afterwards.
    private let fd: Int32
    private let context: ListenerContext

    init(fd: Int32, context: ListenerContext) {
        self.fd = fd
        self.context = context
        // Wake at least once a second, so the loop can prove it is alive and hand over its answer counts.
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func start(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    private func run() {
        var state = ListenerState(context: context)
        var buffer = [UInt8](repeating: 0, count: 65535)
        var peer = sockaddr_storage()
        while true {
            state.tick()
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
            let response = buffer.withUnsafeBytes {
                state.respond(to: UnsafeRawBufferPointer(rebasing: $0[0..<received]), from: IPAddress(peer),
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
