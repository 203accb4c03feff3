internal import CCurl

/// A libcurl call that failed, in curl's own words: the boundary where curl's status codes (and its NULL returns)
/// become Swift errors. The description reads "curl_easy_setopt(CURLOPT_URL): A libcurl function was given a bad
/// argument".
public struct CurlError: Error, CustomStringConvertible, Sendable {
    /// The call, with the option or item it was about where it has one: `curl_easy_setopt(CURLOPT_URL)`.
    public let call: String
    /// `curl_easy_strerror` / `curl_multi_strerror` text, or what went wrong for a call that has no code.
    public let reason: String

    public var description: String { "\(call): \(reason)" }

    init(_ call: String, reason: String) {
        self.call = call
        self.reason = reason
    }

    init(_ call: String, _ code: CURLcode) {
        self.init(call, reason: String(cString: curl_easy_strerror(code)))
    }

    init(_ call: String, _ code: CURLMcode) {
        self.init(call, reason: String(cString: curl_multi_strerror(code)))
    }

    /// Throws unless `code` is CURLE_OK.
    static func check(_ code: CURLcode, _ call: @autoclosure () -> String) throws(CurlError) {
        if code != CURLE_OK { throw CurlError(call(), code) }
    }

    /// Throws unless `code` is CURLM_OK.
    static func check(_ code: CURLMcode, _ call: @autoclosure () -> String) throws(CurlError) {
        if code != CURLM_OK { throw CurlError(call(), code) }
    }
}
