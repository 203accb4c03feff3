import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization
import TMRouting

/// What the HTTP interface serves, as closures over the daemon's state: this module knows HTTP, not edgetm.
public struct HTTPRoutes: Sendable {
    /// The Prometheus text exposition (format 0.0.4).
    public var metrics: @Sendable () -> String
    /// Whether every listener thread is alive.
    public var healthy: @Sendable () -> Bool
    /// Whether the first probe round is done.
    public var ready: @Sendable () -> Bool

    public init(
        metrics: @escaping @Sendable () -> String, healthy: @escaping @Sendable () -> Bool,
        ready: @escaping @Sendable () -> Bool
    ) {
        self.metrics = metrics
        self.healthy = healthy
        self.ready = ready
    }
}

/// The HTTP interface (Hummingbird on swift-nio's own event-loop threads, so nothing here can hold up answering
/// or probing): one server per listen address, a source allow-list (403 for others), and the routes.
public final class HTTPServer: Sendable {
    /// Bound addresses, as `host:port`, once running.
    public let bound: [String]

    /// Binds every address (waiting at most a few seconds for each) and serves until the process ends; throws
    /// when one cannot be bound.
    public static func start(
        listen: [(address: IPAddress, port: UInt16)], allow: [IPNetwork], routes: HTTPRoutes, logger: Logger
    ) throws -> HTTPServer {
        let router = Router(context: ClientContext.self)
        router.add(middleware: AllowListMiddleware(allow: allow))
        router.add(middleware: MethodMiddleware(paths: Self.paths))
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: routes.metrics())))
        }
        router.get("/healthz") { _, _ in
            Self.text(routes.healthy() ? .ok : .serviceUnavailable, routes.healthy() ? "ok\n" : "listener stalled\n")
        }
        router.get("/readyz") { _, _ in
            routes.ready() ? Self.text(.ok, "ready\n") : Self.text(.serviceUnavailable, "first probe round not done\n")
        }
        let responder = router.buildResponder()
        var bound: [String] = []
        for (address, port) in listen {
            let host = address.description
            let started = BindWait()
            let application = Application(
                responder: responder,
                // An idle or slow client is closed after 10 s; headers are bounded to 16 KiB.
                server: .http1(
                    configuration: .init(
                        idleTimeout: .seconds(10),
                        httpDecoderConfiguration: .init(maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 16 * 1024))),
                configuration: .init(address: .hostname(host, port: Int(port))),
                onServerRunning: { channel in started.done(channel.localAddress?.description) },
                logger: logger)
            Task { [application] in
                do {
                    // No signal handling here: SIGTERM and SIGHUP belong to the daemon's own signal thread.
                    try await application.runService(gracefulShutdownSignals: [])
                } catch {
                    started.failed("\(error)")
                }
            }
            switch started.wait(seconds: 10) {
            case .running:
                if case .v6 = address { bound.append("[\(host)]:\(port)") } else { bound.append("\(host):\(port)") }
            case .failed(let reason): throw HTTPServerError("cannot serve HTTP on \(host) port \(port): \(reason)")
            }
        }
        return HTTPServer(bound: bound)
    }

    private init(bound: [String]) { self.bound = bound }

    /// Every path served; all are read-only.
    static let paths: Set<String> = ["/metrics", "/healthz", "/readyz"]

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// The HTTP interface could not start.
public struct HTTPServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A request's context with the client's address, for the allow-list.
struct ClientContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: NIOCore.SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// 403 for clients outside the allowed networks, before any route runs.
struct AllowListMiddleware: RouterMiddleware {
    typealias Context = ClientContext
    let allow: [IPNetwork]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard let text = context.remoteAddress?.ipAddress, let client = IPAddress(text),
            allow.contains(where: { $0.contains(client) })
        else { return HTTPServer.text(.forbidden, "forbidden\n") }
        return try await next(request, context)
    }
}

/// 405 with `Allow` for a known path asked with a method other than GET or HEAD (the router alone would say 404).
struct MethodMiddleware: RouterMiddleware {
    typealias Context = ClientContext
    let paths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard request.method != .get, request.method != .head, paths.contains(request.uri.path) else {
            return try await next(request, context)
        }
        var response = HTTPServer.text(.methodNotAllowed, "method not allowed\n")
        response.headers[.allow] = "GET, HEAD"
        return response
    }
}

/// Startup hand-off from the server task to the thread that starts it.
final class BindWait: Sendable {
    enum Outcome { case running, failed(String) }
    private let outcome = Mutex<Outcome?>(nil)
    private let signal = DispatchSemaphore(value: 0)

    func done(_: String?) {
        outcome.withLock { $0 = $0 ?? .running }
        signal.signal()
    }

    func failed(_ reason: String) {
        outcome.withLock { $0 = $0 ?? .failed(reason) }
        signal.signal()
    }

    func wait(seconds: Double) -> Outcome {
        _ = signal.wait(timeout: .now() + seconds)
        return outcome.withLock { $0 } ?? .failed("not running after \(Int(seconds)) s")
    }
}
