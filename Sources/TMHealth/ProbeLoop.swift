internal import CCurl
internal import CCurlShim

/// The curl multi handle and the transfers in it, driven through curl's multi_socket interface (the C shim's
/// epoll driver), so that the cost of a turn follows the events, not the transfers in flight. Used only from the
/// probe thread, except `wake`, which may be called from any thread.
final class ProbeLoop: @unchecked Sendable {
    // @unchecked: `transfers` and the multi handle are touched only by the probe thread; the driver is shared only
    // through ccurl_socket_driver_wake, which is thread-safe.
    private let multi: UnsafeMutableRawPointer
    private let driver: OpaquePointer
    private var transfers: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    init() {
        _ = CurlTransfer.globalInit
        multi = curl_multi_init()!
        guard let driver = ccurl_socket_driver_new(multi) else {
            preconditionFailure("cannot set up epoll/eventfd for the probe loop")
        }
        self.driver = driver
    }

    deinit {
        for handle in transfers.keys { curl_multi_remove_handle(multi, handle) }
        transfers = [:]
        ccurl_socket_driver_free(driver)
        curl_multi_cleanup(multi)
    }

    func add(_ transfer: CurlTransfer) {
        transfers[transfer.handle] = transfer
        curl_multi_add_handle(multi, transfer.handle)
    }

    func wake() { ccurl_socket_driver_wake(driver) }

    /// Drives the transfers and returns those that finished; waits up to `timeoutMS` for activity (or a wake-up)
    /// only when nothing has finished yet, so a result is never held back by the wait.
    func poll(timeoutMS: Int) -> [(ProbeSpec, ProbeResult)] {
        ccurl_socket_driver_run(driver, 0)
        let ready = collect()
        if !ready.isEmpty { return ready }
        ccurl_socket_driver_run(driver, Int32(timeoutMS))
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
