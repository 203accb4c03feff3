import Foundation
import Synchronization
import TMEtcd
import TMTestSupport

/// A real single-member etcd on free loopback ports with its data in a temporary directory; `stop` (or deinit)
/// ends only this process and removes the directory.
final class EtcdServer {
    struct NotReady: Error, CustomStringConvertible {
        let description: String
    }

    let url: String
    /// What a client needs for this server when it was started with TLS (which also asks for client certificates).
    let tls: EtcdTLS?
    private let directory: URL
    private let process = Process()

    init(tls withTLS: Bool = false) throws {
        let clientPort = try freePort()
        let peerPort = try freePort()
        url = "\(withTLS ? "https" : "http")://127.0.0.1:\(clientPort)"
        let peer = "http://127.0.0.1:\(peerPort)"
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("edgetm-etcd-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var tlsArguments: [String] = []
        if withTLS {
            let files = try Self.makeCertificates(in: directory)
            tls = files
            tlsArguments = [
                "--cert-file", directory.appendingPathComponent("server.pem").path,
                "--key-file", directory.appendingPathComponent("server.key").path,
                "--trusted-ca-file", files.caFile ?? "", "--client-cert-auth",
            ]
        } else {
            tls = nil
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/etcd")
        process.arguments =
            [
                "--name", "e1", "--data-dir", directory.appendingPathComponent("data").path,
                "--listen-client-urls", url, "--advertise-client-urls", url,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "e1=\(peer)",
                "--logger", "zap", "--log-level", "error", "--log-outputs",
                directory.appendingPathComponent("etcd.log").path,
            ] + tlsArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let client = EtcdClient(endpoints: [url], tls: tls)
        guard eventually(within: 15, { (try? client.range(prefix: "")) != nil }) else {
            stop()
            throw NotReady(description: "etcd on \(url) did not answer within 15 s")
        }
    }

    deinit {
        stop()
    }

    /// SIGTERM, then SIGKILL after a second; idempotent.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            if !eventually(within: 1, { !process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Ends the process at once, as a crash would.
    func kill9() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// A throw-away CA with a server certificate for 127.0.0.1 and a client certificate, made by openssl.
    private static func makeCertificates(in directory: URL) throws -> EtcdTLS {
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: path("san.ext"), atomically: false, encoding: .utf8)
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let steps: [[String]] = [
            ["req", "-x509"] + key + [
                "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "1", "-subj", "/CN=ca",
            ],
            ["req"] + key + ["-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=127.0.0.1"],
            [
                "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                "-CAcreateserial", "-out", path("server.pem"), "-days", "1", "-extfile", path("san.ext"),
            ],
            ["req"] + key + ["-keyout", path("client.key"), "-out", path("client.csr"), "-subj", "/CN=client"],
            [
                "x509", "-req", "-in", path("client.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                "-CAcreateserial", "-out", path("client.pem"), "-days", "1",
            ],
        ]
        for arguments in steps {
            let tool = Process()
            tool.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            tool.arguments = arguments
            tool.standardOutput = FileHandle.nullDevice
            tool.standardError = FileHandle.nullDevice
            try tool.run()
            tool.waitUntilExit()
            guard tool.terminationStatus == 0 else {
                throw NotReady(description: "openssl \(arguments.joined(separator: " ")) failed")
            }
        }
        return EtcdTLS(caFile: path("ca.pem"), certFile: path("client.pem"), keyFile: path("client.key"))
    }

    /// `etcdctl compaction REV` against this server.
    func compact(_ revision: Int64) throws {
        let tool = Process()
        tool.executableURL = URL(fileURLWithPath: "/usr/bin/etcdctl")
        tool.arguments = ["--endpoints", url, "compaction", "\(revision)"]
        tool.environment = ["ETCDCTL_API": "3"]
        tool.standardOutput = FileHandle.nullDevice
        try tool.run()
        tool.waitUntilExit()
        guard tool.terminationStatus == 0 else { throw NotReady(description: "etcdctl compaction failed") }
    }
}

/// Runs a watch on its own thread and keeps what it saw.
final class WatchRecorder: Sendable {
    let cancellation = EtcdCancellation()
    private let state = Mutex<(batches: [EtcdWatchBatch], error: EtcdError?, endedAt: Double?)>(([], nil, nil))

    init(_ client: EtcdClient, prefix: String, from revision: Int64) {
        Thread { [self] in
            do throws(EtcdError) {
                try client.watch(prefix: prefix, from: revision, cancellation: cancellation) { batch in
                    state.withLock { $0.batches.append(batch) }
                }
            } catch {
                let now = Date().timeIntervalSince1970
                state.withLock {
                    $0.error = error
                    $0.endedAt = now
                }
            }
        }.start()
    }

    var events: [EtcdEvent] { state.withLock { $0.batches.flatMap(\.events) } }
    var batches: [EtcdWatchBatch] { state.withLock { $0.batches } }
    var error: EtcdError? { state.withLock { $0.error } }
    var endedAt: Double? { state.withLock { $0.endedAt } }
}

/// A loopback port that completes TCP handshakes (the kernel does, from the backlog) and never says a word: a hung
/// member. Closed in deinit.
final class SilentListener {
    let url: String
    private let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)

    init() throws {
        let port = try bindLoopback(fd)
        guard listen(fd, 16) == 0 else { throw EtcdServer.NotReady(description: "listen failed") }
        url = "http://127.0.0.1:\(port)"
    }

    deinit {
        close(fd)
    }
}
