/// The start of one probe's response body, for its `expectedBody` check: keeps the first `limit` bytes and then
/// asks curl to stop, so that a large body costs one read, not a download. Used only on the probe thread, from
/// curl's write callback.
final class ResponseBody {
    let limit: Int
    private(set) var bytes: [UInt8] = []
    /// Whether the transfer was stopped because `limit` bytes had arrived. curl then ends it with
    /// CURLE_WRITE_ERROR, which here means "read enough", not a failed probe.
    private(set) var stoppedAtLimit = false

    init(limit: Int) { self.limit = limit }

    /// Takes one piece of the body as curl hands it over; returns how many bytes to report as consumed: all of
    /// them, or 0 (a short count, which makes curl abort the transfer) once `limit` bytes are in.
    func take(_ piece: UnsafeRawBufferPointer) -> Int {
        bytes.append(contentsOf: piece.prefix(limit - bytes.count))
        guard bytes.count >= limit else { return piece.count }
        stoppedAtLimit = true
        return 0
    }
}
