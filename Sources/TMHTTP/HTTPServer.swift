import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Synchronization
import TMRouting

/// One response: status code, content type and body.
public struct HTTPDocument: Sendable {
    public let status: Int
    public let contentType: String
    public let body: Data

    public init(status: Int = 200, contentType: String, body: Data) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    public static func text(_ text: String, status: Int = 200) -> HTTPDocument {
        HTTPDocument(status: status, contentType: "text/plain; charset=utf-8", body: Data(text.utf8))
    }

    public static func json(_ body: Data, status: Int = 200) -> HTTPDocument {
        HTTPDocument(status: status, contentType: "application/json", body: body)
    }
}

/// What the HTTP interface serves: for each path, a function of the query parameters. This module knows HTTP,
/// not edgetm; every path is read-only (GET and HEAD).
public typealias HTTPRoutes = [String: @Sendable (_ query: [String: String]) -> HTTPDocument]

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
        router.add(middleware: MethodMiddleware(paths: Set(routes.keys)))
        for (path, handler) in routes {
            router.get(RouterPath(path)) { request, _ in
                var query: [String: String] = [:]
                for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
                let document = handler(query)
                return Response(
                    status: .init(code: document.status),
                    headers: [.contentType: document.contentType, .cacheControl: "no-store"],
                    body: .init(byteBuffer: ByteBuffer(bytes: document.body)))
            }
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
                // Beyond 64 open connections new ones wait in the backlog: a flood cannot take every descriptor.
                configuration: .init(
                    address: .hostname(host, port: Int(port)),
                    availableConnectionsDelegate: MaximumAvailableConnections(64)),
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
