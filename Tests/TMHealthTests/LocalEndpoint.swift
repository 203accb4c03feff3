import Foundation
import TMHealth
import TMTestSupport

/// A real HTTP(S) server on loopback (`scripts/endpoint.py`), for probe tests. Stopped by SIGTERM to its own pid.
final class LocalEndpoint {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The body the server sends: `text` after `offset` filler bytes, padded with filler to `size` bytes if given.
    struct Body {
        var text = "ok\n"
        var offset = 0
        var size: Int?
    }

    /// One response as the server logged it once it was over: how many body bytes the socket took.
    struct Send: Decodable {
        let status: Int
        let length: Int
        let sent: Int
        let complete: Bool
    }

    let port: Int
    let headerLog: URL
    let sendLog: URL
    private let process = Process()

    /// Starts the server and waits for it to listen.
    init(
        status: Int = 200, delay: Double = 0, location: String? = nil, tls: (cert: String, key: String)? = nil,
        bind: String = "127.0.0.1", body: Body = Body(), refuseFile: URL? = nil
    ) throws {
        port = try freePort()
        headerLog = FileManager.default.temporaryDirectory.appendingPathComponent("edgetm-headers-\(UUID()).jsonl")
        sendLog = FileManager.default.temporaryDirectory.appendingPathComponent("edgetm-sends-\(UUID()).jsonl")
        var arguments = [
            Self.root.appendingPathComponent("scripts/endpoint.py").path, "--bind", bind,
            "--port", "\(port)", "--status", "\(status)", "--header-log", headerLog.path, "--send-log", sendLog.path,
            "--body", body.text, "--body-offset", "\(body.offset)",
        ]
        if let size = body.size { arguments += ["--body-size", "\(size)"] }
        if delay > 0 { arguments += ["--delay", "\(delay)"] }
        if let location { arguments += ["--location", location] }
        if let tls { arguments += ["--tls-cert", tls.cert, "--tls-key", tls.key] }
        if let refuseFile { arguments += ["--refuse-file", refuseFile.path] }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let ready = output.fileHandleForReading.availableData
        guard String(decoding: ready, as: UTF8.self).contains("ready") else {
            stop()
            throw EndpointError.notReady
        }
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: headerLog)
        try? FileManager.default.removeItem(at: sendLog)
    }

    /// Each finished response, in order.
    var sends: [Send] {
        guard let text = try? String(contentsOf: sendLog, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Send.self, from: Data($0.utf8)) }
    }

    /// Each request's headers, in order.
    var requests: [[String: String]] {
        guard let text = try? String(contentsOf: headerLog, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["headers"] as? [String: String]
        }
    }

    /// The peer address of each request, in order.
    var clients: [String] {
        guard let text = try? String(contentsOf: headerLog, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["client"] as? String
        }
    }

    enum EndpointError: Error { case notReady }
}

/// Runs a monitor's probe loop on a thread of its own, as the daemon does, until `stop()`.
func startProbing(_ monitor: HealthMonitor, report: @escaping @Sendable (HealthReport) -> Void) {
    Thread { monitor.run(report: report) }.start()
}
