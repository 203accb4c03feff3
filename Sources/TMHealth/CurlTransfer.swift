internal import CCurl
internal import CCurlShim
import TMRouting
import TMSystem

#if canImport(Glibc)
import Glibc
#endif

/// One probe request as a curl easy handle, with the header list it needs. Owns both and frees them in deinit.
final class CurlTransfer {
    let handle: UnsafeMutableRawPointer
    let spec: ProbeSpec
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// What the body check reads; nil when the spec checks no body, and the body is then read and dropped.
    let body: ResponseBody?
    /// The source addresses the socket callback binds to, and what a failed bind left; nil when the spec has none.
    private let source: UnsafeMutablePointer<ccurl_probe_source>?

    /// curl's global state, set up once before any handle exists; a failure is kept and seen by every caller.
    static let globalInit: Result<Void, CurlError> = {
        let code = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        return code == CURLE_OK ? .success(()) : .failure(CurlError("curl_global_init", code))
    }()

    /// Sets the request up; throws the first curl call that fails.
    init(spec: ProbeSpec) throws(CurlError) {
        try Self.globalInit.get()
        guard let handle = curl_easy_init() else { throw CurlError("curl_easy_init", reason: "no handle returned") }
        self.handle = handle
        self.spec = spec
        body = spec.expectedBody == nil ? nil : ResponseBody(limit: ProbeSpec.bodyCheckBytes)
        source = Self.makeSource(v4: spec.sourceV4, v6: spec.sourceV6)
        // Fully initialised from here: when a step below throws, deinit frees the handle and the header list.
        try setLong(CURLOPT_NOSIGNAL, 1)
        try setLong(CURLOPT_FOLLOWLOCATION, 0)
        // Every probe opens its own connection: a kept-alive socket would hide a dead listener.
        try setLong(CURLOPT_FRESH_CONNECT, 1)
        try setLong(CURLOPT_FORBID_REUSE, 1)
        let timeoutMS = max(1, Int(spec.timeout * 1000))
        try setLong(CURLOPT_TIMEOUT_MS, timeoutMS)
        try setLong(CURLOPT_CONNECTTIMEOUT_MS, timeoutMS)
        try setString(CURLOPT_URL, spec.url)
        try setString(CURLOPT_USERAGENT, "edgetm-probe")
        // Every probe resolves its target afresh (as a monitor should), which also keeps curl's shared DNS cache
        // empty: curl walks the whole cache on every lookup to expire entries, and with thousands of distinct
        // targets cached that walk was a third of the probe thread's time.
        try setLong(CURLOPT_DNS_CACHE_TIMEOUT, 0)
        // The endpoint itself is probed, never through a proxy named in the environment (http_proxy and the like).
        try setString(CURLOPT_PROXY, "")
        // The body goes to `body` when it is checked, else nowhere; the context is set either way, since curl's
        // default for it is stdout. Unretained: the transfer owns `body` and outlives the handle's use of it.
        let context = body.map { Unmanaged.passUnretained($0).toOpaque() }
        try CurlError.check(
            ccurl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, context), Self.setoptCall(CURLOPT_WRITEDATA))
        try CurlError.check(
            ccurl_easy_setopt_write_callback(handle) { data, size, count, context in
                guard let context else { return size * count }
                let piece = UnsafeRawBufferPointer(start: data, count: size * count)
                return Unmanaged<ResponseBody>.fromOpaque(context).takeUnretainedValue().take(piece)
            },
            Self.setoptCall(CURLOPT_WRITEFUNCTION))
        if let source {
            try CurlError.check(
                ccurl_easy_set_probe_source(handle, source), Self.setoptCall(CURLOPT_SOCKOPTFUNCTION))
        }
        switch spec.probeProtocol {
        case .tcp:
            try setLong(CURLOPT_CONNECT_ONLY, 1)
        case .http, .https:
            // As Azure does, HTTPS probes do not check the certificate unless asked to.
            try setLong(CURLOPT_SSL_VERIFYPEER, spec.verifyCertificate ? 1 : 0)
            try setLong(CURLOPT_SSL_VERIFYHOST, spec.verifyCertificate ? 2 : 0)
            for header in spec.headers {
                // On NULL the list so far is still valid and still ours: kept, so that deinit frees it.
                guard let list = curl_slist_append(headerList, "\(header.name): \(header.value)") else {
                    throw CurlError("curl_slist_append", reason: "out of memory")
                }
                headerList = list
            }
            if let headerList {
                try CurlError.check(
                    ccurl_easy_setopt_pointer(handle, CURLOPT_HTTPHEADER, headerList),
                    Self.setoptCall(CURLOPT_HTTPHEADER))
            }
        }
    }

    deinit {
        // Also takes the handle out of a multi handle it may still be in.
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        source?.deallocate()
    }

    /// Zeroed, then filled per family: the callback binds only the families marked as set.
    private static func makeSource(v4: IPAddress?, v6: IPAddress?) -> UnsafeMutablePointer<ccurl_probe_source>? {
        guard v4 != nil || v6 != nil else { return nil }
        let source = UnsafeMutablePointer<ccurl_probe_source>.allocate(capacity: 1)
        source.initialize(to: ccurl_probe_source())
        v4?.withSockaddr { address, length in
            withUnsafeMutableBytes(of: &source.pointee.v4) {
                $0.copyMemory(from: .init(start: address, count: Int(length)))
            }
            source.pointee.has_v4 = 1
        }
        v6?.withSockaddr { address, length in
            withUnsafeMutableBytes(of: &source.pointee.v6) {
                $0.copyMemory(from: .init(start: address, count: Int(length)))
            }
            source.pointee.has_v6 = 1
        }
        return source
    }

    /// Why the connection could not be made from its source address, if that is why: curl itself only reports
    /// that its socket callback refused.
    private var bindFailure: ProbeFailure? {
        // With a host name of both families, one family's bind may fail while the other's connection goes on.
        guard let source, source.pointee.bind_errno != 0, source.pointee.bound == 0 else { return nil }
        let reason = String(cString: strerror(source.pointee.bind_errno))
        let address: IPAddress? =
            switch source.pointee.bind_family {
            case AF_INET: spec.sourceV4
            case AF_INET6: spec.sourceV6
            default: nil
            }
        // No family: the socket's could not even be read (getsockopt), so no source was tried.
        guard let address else { return .other("cannot bind to a probe source address: \(reason)") }
        return .other("cannot bind to probe source address \(address): \(reason)")
    }

    private func setLong(_ option: CURLoption, _ value: Int) throws(CurlError) {
        try CurlError.check(ccurl_easy_setopt_long(handle, option, value), Self.setoptCall(option))
    }

    private func setString(_ option: CURLoption, _ value: String) throws(CurlError) {
        // curl copies the string, so Swift's temporary C string may go once the call returns.
        try CurlError.check(ccurl_easy_setopt_string(handle, option, value), Self.setoptCall(option))
    }

    /// `curl_easy_setopt(CURLOPT_URL)`, with the name curl itself knows the option by.
    private static func setoptCall(_ option: CURLoption) -> String {
        let name = curl_easy_option_by_id(option).map { "CURLOPT_" + String(cString: $0.pointee.name) }
        return "curl_easy_setopt(\(name ?? "option \(option.rawValue)"))"
    }

    private func longInfo(_ info: CURLINFO, _ name: String) throws(CurlError) -> Int {
        var value = 0
        try CurlError.check(ccurl_easy_getinfo_long(handle, info, &value), "curl_easy_getinfo(\(name))")
        return value
    }

    private func doubleInfo(_ info: CURLINFO, _ name: String) throws(CurlError) -> Double {
        var value = 0.0
        try CurlError.check(ccurl_easy_getinfo_double(handle, info, &value), "curl_easy_getinfo(\(name))")
        return value
    }

    /// Interprets curl's outcome: the curl code first, then the HTTP status, then the body.
    func result(code: CURLcode) -> ProbeResult {
        // The latency is for logs and status only: a probe does not fail for want of it.
        let seconds = (try? doubleInfo(CURLINFO_TOTAL_TIME, "CURLINFO_TOTAL_TIME")) ?? 0
        // Stopping the transfer once the body check had its bytes ends it with CURLE_WRITE_ERROR: for the probe,
        // the response is complete.
        let code = code == CURLE_WRITE_ERROR && body?.stoppedAtLimit == true ? CURLE_OK : code
        if code != CURLE_OK, let bindFailure { return .failure(bindFailure, latency: seconds) }
        switch code {
        case CURLE_OK:
            if spec.probeProtocol == .tcp { return .success(detail: "TCP connected", latency: seconds) }
            let status: Int
            do {
                status = try longInfo(CURLINFO_RESPONSE_CODE, "CURLINFO_RESPONSE_CODE")
            } catch {
                return .failure(.other("cannot read the HTTP status: \(error)"), latency: seconds)
            }
            guard spec.isExpected(status: status) else { return .failure(.httpStatus(status), latency: seconds) }
            if let body, !spec.isExpected(body: body.bytes) {
                return .failure(.bodyMismatch(bytesRead: body.bytes.count), latency: seconds)
            }
            return .success(detail: "HTTP \(status)", latency: seconds)
        case CURLE_OPERATION_TIMEDOUT:
            return .failure(.timeout(after: spec.timeout), latency: seconds)
        case CURLE_COULDNT_CONNECT:
            // Without the errno a refusal cannot be told apart, and is reported as any other connect failure.
            let osError = try? longInfo(CURLINFO_OS_ERRNO, "CURLINFO_OS_ERRNO")
            if osError == Int(ECONNREFUSED) { return .failure(.connectionRefused, latency: seconds) }
            return .failure(.other("cannot connect: \(Self.text(code))"), latency: seconds)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR:
            return .failure(.tlsHandshake, latency: seconds)
        case CURLE_COULDNT_RESOLVE_HOST:
            return .failure(.unresolvable, latency: seconds)
        default:
            return .failure(.other(Self.text(code)), latency: seconds)
        }
    }

    static func text(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }
}
