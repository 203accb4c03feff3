internal import CCurl
internal import CCurlShim

#if canImport(Glibc)
import Glibc
#endif

/// One POST of JSON to one etcd endpoint as a curl easy handle. Owns the handle, its header list and error buffer
/// and frees them in deinit; used by the one thread that made it.
final class EtcdTransfer {
    /// How the transfer ended, before its body is read as etcd JSON.
    enum Outcome {
        /// A complete HTTP response; the body went to `onData`.
        case answered(status: Int)
        /// Connecting, sending or receiving failed, or a timeout struck: why, in words for the error message.
        case failed(String)
        /// `onData` returned false, or the cancellation was set: the caller knows which and why.
        case stopped
    }

    /// curl's global state, set up once before any handle exists; a failure is kept and seen by every caller.
    static let globalInit: Result<Void, EtcdError> = {
        let code = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        if code == CURLE_OK { return .success(()) }
        return .failure(EtcdError(.unreachable, "curl_global_init: \(String(cString: curl_easy_strerror(code)))"))
    }()

    private let handle: UnsafeMutableRawPointer
    private var headers: UnsafeMutablePointer<curl_slist>?
    private let errorText: UnsafeMutablePointer<CChar>
    /// Each piece of the body as it arrives; false stops the transfer. The default keeps the body in `body`.
    var onData: (UnsafeRawBufferPointer) -> Bool
    private(set) var body: [UInt8] = []

    /// `requestTimeout` nil: no limit on the whole transfer (a watch), only on connecting. A failing setup call is
    /// reported as a failure of this endpoint, since the next one may not need what failed (a TLS file, say).
    /// `headers`: sent besides the JSON ones.
    init(
        url: String, body request: [UInt8], tls: EtcdTLS?, connectTimeout: Double, requestTimeout: Double?,
        headers extra: [String] = []
    ) throws(EtcdError) {
        try Self.globalInit.get()
        guard let handle = curl_easy_init() else { throw EtcdError(.unreachable, "\(url): curl_easy_init failed") }
        self.handle = handle
        errorText = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorText.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        onData = { _ in true }
        // Fully initialised from here: when a step below throws, deinit frees what was made.
        onData = { [unowned self] piece in
            self.body.append(contentsOf: piece)
            return true
        }
        do throws(SetupError) {
            try pointer(CURLOPT_ERRORBUFFER, errorText)
            try long(CURLOPT_NOSIGNAL, 1)
            // etcd is reached directly, never through a proxy named in the environment (http_proxy and the like).
            try string(CURLOPT_PROXY, "")
            try long(CURLOPT_FOLLOWLOCATION, 0)
            try string(CURLOPT_URL, url)
            try long(CURLOPT_CONNECTTIMEOUT_MS, max(1, Int(connectTimeout * 1000)))
            if let requestTimeout { try long(CURLOPT_TIMEOUT_MS, max(1, Int(requestTimeout * 1000))) }
            // A watch can be idle for hours: keepalive probes notice a peer that vanished without closing.
            try long(CURLOPT_TCP_KEEPALIVE, 1)
            try long(CURLOPT_TCP_KEEPIDLE, 10)
            try long(CURLOPT_TCP_KEEPINTVL, 5)
            if let tls {
                if let file = tls.caFile { try string(CURLOPT_CAINFO, file) }
                if let file = tls.certFile { try string(CURLOPT_SSLCERT, file) }
                if let file = tls.keyFile { try string(CURLOPT_SSLKEY, file) }
            }
            // Without "Expect:" curl waits for a 100 Continue before sending bodies over 1 KiB.
            for header in ["Content-Type: application/json", "Expect:"] + extra {
                guard let list = curl_slist_append(headers, header) else {
                    throw SetupError(call: "curl_slist_append", reason: "out of memory")
                }
                headers = list
            }
            try pointer(CURLOPT_HTTPHEADER, headers)
            try long(CURLOPT_POST, 1)
            try long(CURLOPT_POSTFIELDSIZE, request.count)
            // COPYPOSTFIELDS: curl keeps its own copy, so the array may go once the call returns.
            let copied = request.withUnsafeBytes { bytes in
                ccurl_easy_setopt_pointer(
                    handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            }
            try check(copied, Self.optionName(CURLOPT_COPYPOSTFIELDS))
            let context = Unmanaged.passUnretained(self).toOpaque()
            try pointer(CURLOPT_WRITEDATA, context)
            try check(
                ccurl_easy_setopt_write_callback(handle) { data, size, count, context in
                    guard let context else { return 0 }
                    let transfer = Unmanaged<EtcdTransfer>.fromOpaque(context).takeUnretainedValue()
                    let piece = UnsafeRawBufferPointer(start: data, count: size * count)
                    return transfer.onData(piece) ? size * count : 0
                }, "curl_easy_setopt(CURLOPT_WRITEFUNCTION)")
        } catch {
            throw EtcdError(.unreachable, "\(url): \(error.call): \(error.reason)")
        }
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headers)
        errorText.deallocate()
    }

    /// Runs the whole transfer on this thread, bounded by the timeouts.
    func perform() -> Outcome {
        outcome(curl_easy_perform(handle))
    }

    /// Runs the transfer through a multi handle woken every 100 ms, so that `cancellation` (or `stop`, asked on
    /// this thread) ends it promptly even while no byte moves: curl_easy_perform sees its progress callback only
    /// about once a second on an idle connection.
    func perform(cancellation: EtcdCancellation, stop: () -> Bool) -> Outcome {
        guard let multi = curl_multi_init() else { return .failed("curl_multi_init failed") }
        defer { curl_multi_cleanup(multi) }
        let added = curl_multi_add_handle(multi, handle)
        guard added == CURLM_OK else { return .failed("curl_multi_add_handle: \(multiText(added))") }
        defer { curl_multi_remove_handle(multi, handle) }
        while true {
            if cancellation.isCancelled || stop() { return .stopped }
            var running: Int32 = 0
            let performed = curl_multi_perform(multi, &running)
            guard performed == CURLM_OK else { return .failed("curl_multi_perform: \(multiText(performed))") }
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                if message.pointee.msg == CURLMSG_DONE { return outcome(message.pointee.data.result) }
            }
            let polled = curl_multi_poll(multi, nil, 0, 100, nil)
            guard polled == CURLM_OK else { return .failed("curl_multi_poll: \(multiText(polled))") }
        }
    }

    private func outcome(_ code: CURLcode) -> Outcome {
        switch code {
        case CURLE_OK:
            var status = 0
            let info = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            if info != CURLE_OK { return .failed("no HTTP status (\(Self.text(info)))") }
            return .answered(status: status)
        case CURLE_WRITE_ERROR, CURLE_ABORTED_BY_CALLBACK:
            return .stopped
        case CURLE_COULDNT_CONNECT:
            var osError = 0
            _ = ccurl_easy_getinfo_long(handle, CURLINFO_OS_ERRNO, &osError)
            if osError != 0 { return .failed("couldn't connect (\(String(cString: strerror(Int32(osError)))))") }
            return .failed("couldn't connect (\(detail(code)))")
        case CURLE_OPERATION_TIMEDOUT:
            return .failed("timed out (\(detail(code)))")
        default:
            return .failed(detail(code))
        }
    }

    /// curl's own message for this transfer when it left one, else the generic text of the code.
    private func detail(_ code: CURLcode) -> String {
        let text = String(cString: errorText)
        return text.isEmpty ? Self.text(code) : text
    }

    static func text(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }

    private func multiText(_ code: CURLMcode) -> String {
        String(cString: curl_multi_strerror(code))
    }

    private struct SetupError: Error {
        let call: String
        let reason: String
    }

    private func check(_ code: CURLcode, _ call: @autoclosure () -> String) throws(SetupError) {
        if code != CURLE_OK { throw SetupError(call: call(), reason: Self.text(code)) }
    }

    private func long(_ option: CURLoption, _ value: Int) throws(SetupError) {
        try check(ccurl_easy_setopt_long(handle, option, value), Self.optionName(option))
    }

    private func string(_ option: CURLoption, _ value: String) throws(SetupError) {
        // curl copies the string, so Swift's temporary C string may go once the call returns.
        try check(ccurl_easy_setopt_string(handle, option, value), Self.optionName(option))
    }

    private func pointer(_ option: CURLoption, _ value: UnsafeMutableRawPointer?) throws(SetupError) {
        try check(ccurl_easy_setopt_pointer(handle, option, value), Self.optionName(option))
    }

    private func pointer<T>(_ option: CURLoption, _ value: UnsafeMutablePointer<T>?) throws(SetupError) {
        try pointer(option, UnsafeMutableRawPointer(value))
    }

    /// `curl_easy_setopt(CURLOPT_URL)`, with the name curl itself knows the option by.
    private static func optionName(_ option: CURLoption) -> String {
        let name = curl_easy_option_by_id(option).map { "CURLOPT_" + String(cString: $0.pointee.name) }
        return "curl_easy_setopt(\(name ?? "option \(option.rawValue)"))"
    }
}
