internal import CCurl
internal import CCurlShim
#if canImport(Glibc)
import Glibc
#endif

/// One probe request as a curl easy handle, with the header list it needs. Owns both and frees them in deinit.
final class CurlTransfer {
    let handle: UnsafeMutableRawPointer
    let spec: ProbeSpec
    private var headerList: UnsafeMutablePointer<curl_slist>?

    /// curl's global state is set up once, before any handle exists.
    static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    init(spec: ProbeSpec) {
        _ = Self.globalInit
        handle = curl_easy_init()!
        self.spec = spec
        setLong(CURLOPT_NOSIGNAL, 1)
        setLong(CURLOPT_FOLLOWLOCATION, 0)
        // Every probe opens its own connection: a kept-alive socket would hide a dead listener.
        setLong(CURLOPT_FRESH_CONNECT, 1)
        setLong(CURLOPT_FORBID_REUSE, 1)
        let timeoutMS = max(1, Int(spec.timeout * 1000))
        setLong(CURLOPT_TIMEOUT_MS, timeoutMS)
        setLong(CURLOPT_CONNECTTIMEOUT_MS, timeoutMS)
        ccurl_easy_setopt_string(handle, CURLOPT_URL, spec.url)
        ccurl_easy_setopt_string(handle, CURLOPT_USERAGENT, "edgetm-probe")
        // Every probe resolves its target afresh (as a monitor should), which also keeps curl's shared DNS cache
        // empty: curl walks the whole cache on every lookup to expire entries, and with thousands of distinct
        // targets cached that walk was a third of the probe thread's time.
        setLong(CURLOPT_DNS_CACHE_TIMEOUT, 0)
        // The endpoint itself is probed, never through a proxy named in the environment (http_proxy and the like).
        ccurl_easy_setopt_string(handle, CURLOPT_PROXY, "")
        ccurl_easy_setopt_write_callback(handle) { _, size, count, _ in size * count }
        switch spec.probeProtocol {
        case .tcp:
            setLong(CURLOPT_CONNECT_ONLY, 1)
        case .http, .https:
            // As Azure does, HTTPS probes do not check the certificate unless asked to.
            setLong(CURLOPT_SSL_VERIFYPEER, spec.verifyCertificate ? 1 : 0)
            setLong(CURLOPT_SSL_VERIFYHOST, spec.verifyCertificate ? 2 : 0)
            for header in spec.headers {
                headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
            }
            if let headerList { ccurl_easy_setopt_pointer(handle, CURLOPT_HTTPHEADER, headerList) }
        }
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
    }

    private func setLong(_ option: CURLoption, _ value: Int) {
        ccurl_easy_setopt_long(handle, option, value)
    }

    /// Interprets curl's outcome: the curl code first, then the HTTP status.
    func result(code: CURLcode) -> ProbeResult {
        var seconds = 0.0
        ccurl_easy_getinfo_double(handle, CURLINFO_TOTAL_TIME, &seconds)
        switch code {
        case CURLE_OK:
            if spec.probeProtocol == .tcp { return .success(detail: "TCP connected", latency: seconds) }
            var status = 0
            ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            return spec.isExpected(status: status)
                ? .success(detail: "HTTP \(status)", latency: seconds)
                : .failure(.httpStatus(status), latency: seconds)
        case CURLE_OPERATION_TIMEDOUT:
            return .failure(.timeout(after: spec.timeout), latency: seconds)
        case CURLE_COULDNT_CONNECT:
            var osError = 0
            ccurl_easy_getinfo_long(handle, CURLINFO_OS_ERRNO, &osError)
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
