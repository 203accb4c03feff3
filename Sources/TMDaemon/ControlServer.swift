import CSocketShim
import Foundation
import TMControl
import TMSystem

#if canImport(Glibc)
import Glibc
#endif

/// The control socket (`edgetm admin`'s way in), on a thread of its own: one connection at a time, one JSON
/// request line, one reply line; commands go to the publisher, which applies them at once.
final class ControlServer: Sendable {
    let path: String
    private let fd: Int32
    private let publisher: Publisher

    init(path: String, publisher: Publisher) throws(ControlError) {
        self.path = path
        self.publisher = publisher
        fd = try UnixSocket.listen(path)
    }

    func start() {
        startNamedThread("control") { [self] in run() }
    }

    /// Removes the socket file, so that `edgetm admin` says "not running" rather than hanging.
    func remove() { unlink(path) }

    private func run() {
        while true {
            let client = accept(fd, nil, nil)
            guard client >= 0 else {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            serve(client)
            close(client)
        }
    }

    private func serve(_ client: Int32) {
        // A client that says nothing cannot hold the socket for long.
        UnixSocket.setTimeout(client, seconds: 2)
        let reply: ControlReply
        if let by = Self.peer(client) {
            if let line = UnixSocket.readLine(client),
                let request = try? ControlReply.decoder.decode(ControlRequest.self, from: Data(line))
            {
                reply = publisher.admin(request, by: by)
            } else {
                reply = ControlReply(error: "the request is not a valid edgetm admin command")
            }
        } else {
            reply = ControlReply(error: "permission denied: only root and the user edgetm runs as may use it")
        }
        guard let data = try? ControlReply.encoder.encode(reply) else { return }
        UnixSocket.writeLine(client, data)
    }

    /// The connecting user's name, when that user is root or the one this process runs as (the socket's mode
    /// already keeps others out; this holds even if the mode were changed); nil for anyone else.
    private static func peer(_ client: Int32) -> String? {
        var uid: UInt32 = 0
        guard csock_peer_uid(client, &uid) == 0, uid == 0 || uid == geteuid() else { return nil }
        return userName(uid)
    }

    static func userName(_ uid: UInt32) -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name
        else { return "uid \(uid)" }
        return String(cString: name)
    }
}
