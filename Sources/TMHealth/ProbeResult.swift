/// What one probe saw. Probes only report; `MonitorState` decides what it means for the endpoint.
public enum ProbeResult: Sendable, Hashable, CustomStringConvertible {
    case success(detail: String, latency: Double)
    case failure(ProbeFailure, latency: Double)

    public var isSuccess: Bool {
        if case .success = self { true } else { false }
    }

    public var latency: Double {
        switch self {
        case .success(_, let latency), .failure(_, let latency): latency
        }
    }

    public var description: String {
        switch self {
        case .success(let detail, _): detail
        case .failure(let failure, _): failure.description
        }
    }
}

/// Why a probe failed, in the words the status-change log uses.
public enum ProbeFailure: Sendable, Hashable, CustomStringConvertible {
    case httpStatus(Int)
    /// The expected status, but `expectedBody` was not in the bytes read (at most the first 5,120).
    case bodyMismatch(bytesRead: Int)
    case timeout(after: Double)
    case connectionRefused
    case tlsHandshake
    case unresolvable
    case other(String)

    public var description: String {
        switch self {
        case .httpStatus(let code): "HTTP \(code)"
        case .bodyMismatch(let bytes): "body did not contain the expected text (\(bytes) bytes read)"
        case .timeout(let seconds): "timeout after \(Self.seconds(seconds)) s"
        case .connectionRefused: "connection refused"
        case .tlsHandshake: "TLS handshake failed"
        case .unresolvable: "cannot resolve host"
        case .other(let text): text
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
