import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `edgetm admin`'s side of the control socket: one request, one reply.
public enum ControlClient {
    public static func send(_ request: ControlRequest, to path: String) throws(ControlError) -> ControlReply {
        let fd = try UnixSocket.connect(path)
        defer { close(fd) }
        UnixSocket.setTimeout(fd, seconds: 10)
        let data: Data
        do { data = try ControlReply.encoder.encode(request) } catch {
            throw ControlError("cannot encode the request: \(error)")
        }
        guard UnixSocket.writeLine(fd, data) else { throw ControlError("edgetm closed the control socket \(path)") }
        guard let line = UnixSocket.readLine(fd) else {
            throw ControlError("no reply from edgetm on \(path) (closed, or nothing within 10 s)")
        }
        do {
            return try ControlReply.decoder.decode(ControlReply.self, from: Data(line))
        } catch {
            throw ControlError("edgetm's reply on \(path) is not understood: \(error)")
        }
    }
}
