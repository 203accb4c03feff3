import CSocketShim
import Foundation
import TMRouting
import TMSystem
import TMWire

#if canImport(Glibc)
import Glibc
#endif

/// Answers DNS over UDP on one bound socket, from its own thread, a batch of datagrams per system call each way.
final class UDPListener: ListenerLoop, @unchecked Sendable {
    // @unchecked: the descriptor is written once in init; only the listener's own thread uses it afterwards.
    private let fd: Int32
    private let context: ListenerContext
    static let batchSize: UInt32 = 32

    init(fd: Int32, context: ListenerContext) {
        self.fd = fd
        self.context = context
        // Wake at least once a second, so the loop can prove it is alive and hand over its answer counts.
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func run() {
        var state = ListenerState(context: context)
        let batch = DatagramBatch(count: Self.batchSize)
        while true {
            state.tick()
            let received = csock_batch_receive(batch.pointer, fd)
            guard received > 0 else {
                if received < 0, errno != EINTR, errno != EAGAIN { return }
                continue
            }
            var replies: UInt32 = 0
            for index in 0..<UInt32(received) {
                var length = 0
                let packet = UnsafeRawBufferPointer(
                    start: csock_batch_packet(batch.pointer, index, &length),
                    count: length)
                let peer = csock_batch_peer(batch.pointer, index)!
                let client = IPAddress(socketAddress: peer)
                var capacity = 0
                let out = UnsafeMutableRawBufferPointer(
                    start: csock_batch_reply(batch.pointer, replies, index, &capacity),
                    count: capacity)
                guard
                    let length = state.respond(
                        to: packet, from: client, transport: .udp, into: out,
                        elsewhere: { Self.replyPath(fd: fd, peer: peer) })
                else { continue }
                csock_batch_set_reply_length(batch.pointer, replies, length)
                replies += 1
            }
            if replies > 0 { _ = csock_batch_send(batch.pointer, fd, replies) }
        }
    }

    /// Sends a reply made on another thread straight to the client: a datagram needs no ordering with the others.
    private static func replyPath(fd: Int32, peer: UnsafeRawPointer) -> @Sendable ([UInt8]) -> Void {
        let address = [UInt8](UnsafeRawBufferPointer(start: peer, count: MemoryLayout<sockaddr_storage>.size))
        return { reply in
            address.withUnsafeBytes { address in
                reply.withUnsafeBytes { reply in
                    _ = sendto(
                        fd, reply.baseAddress, reply.count, Int32(MSG_NOSIGNAL),
                        address.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(address.count))
                }
            }
        }
    }
}

/// The C batch of datagram buffers, owned by one listener thread and freed with it.
final class DatagramBatch {
    let pointer: OpaquePointer

    init(count: UInt32) { pointer = csock_batch_new(count, DNSResponder.maxResponseSize)! }

    deinit { csock_batch_free(pointer) }
}
