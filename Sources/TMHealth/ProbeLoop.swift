internal import CCurl
internal import CCurlShim

/// The curl multi handle and the transfers in it. Used only from the probe thread, except `wake`, which curl
/// documents as callable from any thread.
final class ProbeLoop: @unchecked Sendable {
    // @unchecked: `transfers` is touched only by the probe thread; `multi` is shared only through
    // curl_multi_wakeup, which is thread-safe.
    private let multi: UnsafeMutableRawPointer
    private var transfers: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    init() {
        _ = CurlTransfer.globalInit
        multi = curl_multi_init()!
    }

    deinit {
        for handle in transfers.keys { curl_multi_remove_handle(multi, handle) }
        transfers = [:]
        curl_multi_cleanup(multi)
    }

    func add(_ transfer: CurlTransfer) {
        transfers[transfer.handle] = transfer
        curl_multi_add_handle(multi, transfer.handle)
    }

    func wake() { curl_multi_wakeup(multi) }

    /// Drives the transfers and returns those that finished; waits up to `timeoutMS` for activity (or a wake-up)
    /// only when nothing has finished yet, so a result is never held back by the wait.
    func poll(timeoutMS: Int) -> [(ProbeSpec, ProbeResult)] {
        var running: Int32 = 0
        curl_multi_perform(multi, &running)
        let ready = collect()
        if !ready.isEmpty { return ready }
        curl_multi_poll(multi, nil, 0, Int32(timeoutMS), nil)
        curl_multi_perform(multi, &running)
        return collect()
    }

    var inFlight: Int { transfers.count }

    private func collect() -> [(ProbeSpec, ProbeResult)] {
        var finished: [(ProbeSpec, ProbeResult)] = []
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                  let transfer = transfers.removeValue(forKey: handle) else { continue }
            let result = transfer.result(code: message.pointee.data.result)
            curl_multi_remove_handle(multi, handle)
            finished.append((transfer.spec, result))
        }
        return finished
    }
}
