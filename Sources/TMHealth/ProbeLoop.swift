internal import CCurl
internal import CCurlShim

#if canImport(Glibc)
import Glibc
#endif

/// The curl multi handle and the transfers in it, driven through curl's multi_socket interface (the C shim's
/// epoll driver), so that the cost of a turn follows the events, not the transfers in flight. Used only from the
/// probe thread, except `wake`, which may be called from any thread.
///
/// Every started probe reports exactly once through `poll`, even one that curl would not take: a probe that
/// never reported would never be scheduled again.
final class ProbeLoop: @unchecked Sendable {
    // @unchecked: `transfers`, `unstarted` and the multi handle are touched only by the probe thread; the driver is
    // shared only through ccurl_socket_driver_wake, which is thread-safe.
    private let multi: UnsafeMutableRawPointer
    private let driver: OpaquePointer
    private var transfers: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Failure results of probes that could not be started, for the next `poll`.
    private var unstarted: [(ProbeSpec, ProbeResult)] = []

    /// Sets up curl and the epoll driver; throws when either cannot be had, since then nothing can be probed.
    init() throws(CurlError) {
        try CurlTransfer.globalInit.get()
        guard let multi = curl_multi_init() else { throw CurlError("curl_multi_init", reason: "no handle returned") }
        var code = CURLM_OK
        guard let driver = ccurl_socket_driver_new(multi, &code) else {
            // errno first: the cleanup may change it.
            let error =
                code != CURLM_OK
                ? CurlError("curl_multi_setopt(CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION)", code)
                : CurlError("epoll_create1/eventfd", reason: String(cString: strerror(errno)))
            _ = curl_multi_cleanup(multi)
            throw error
        }
        self.multi = multi
        self.driver = driver
    }

    deinit {
        // Codes ignored: there is no one left to tell, and curl_easy_cleanup detaches a handle in any case.
        for handle in transfers.keys { _ = curl_multi_remove_handle(multi, handle) }
        transfers = [:]
        ccurl_socket_driver_free(driver)
        _ = curl_multi_cleanup(multi)
    }

    /// Starts a probe for `spec`. When its transfer cannot be set up or curl will not take it, the next `poll`
    /// returns a failure for it: "cannot start probe: <the curl call and curl's reason>".
    func start(_ spec: ProbeSpec) {
        do {
            let transfer = try CurlTransfer(spec: spec)
            try CurlError.check(curl_multi_add_handle(multi, transfer.handle), "curl_multi_add_handle")
            transfers[transfer.handle] = transfer
        } catch {
            unstarted.append((spec, .failure(.other("cannot start probe: \(error)"), latency: 0)))
        }
    }

    func wake() { ccurl_socket_driver_wake(driver) }

    /// Drives the transfers and returns those that finished; waits up to `timeoutMS` for activity (or a wake-up)
    /// only when nothing has finished yet, so a result is never held back by the wait.
    func poll(timeoutMS: Int) -> [(ProbeSpec, ProbeResult)] {
        var ready = unstarted
        unstarted.removeAll()
        ready += turn(waitMS: 0)
        if !ready.isEmpty { return ready }
        return turn(waitMS: timeoutMS)
    }

    /// Transfers in flight plus failures waiting to be returned: every probe started and not yet reported.
    var inFlight: Int { transfers.count + unstarted.count }

    /// One turn of the driver, then what finished. If the driver fails, every transfer still in flight fails with
    /// it: the multi handle's state is then unknown (and after a failed epoll_wait nothing would ever finish), and
    /// a failure puts curl's reason into the status-change log and frees the probe for its next round.
    private func turn(waitMS: Int) -> [(ProbeSpec, ProbeResult)] {
        do {
            try runDriver(waitMS: waitMS)
            return collect()
        } catch {
            let finished = collect()
            let result = ProbeResult.failure(.other("probe loop failed: \(error)"), latency: 0)
            let abandoned = transfers.values.map { ($0.spec, result) }
            for handle in transfers.keys { try? remove(handle) }
            transfers = [:]
            return finished + abandoned
        }
    }

    private func runDriver(waitMS: Int) throws(CurlError) {
        var code = CURLM_OK
        if ccurl_socket_driver_run(driver, Int32(clamping: waitMS), &code) < 0 {
            throw CurlError("epoll_wait", reason: String(cString: strerror(errno)))
        }
        try CurlError.check(code, "curl_multi_socket_action")
    }

    private func remove(_ handle: UnsafeMutableRawPointer) throws(CurlError) {
        try CurlError.check(curl_multi_remove_handle(multi, handle), "curl_multi_remove_handle")
    }

    private func collect() -> [(ProbeSpec, ProbeResult)] {
        var finished: [(ProbeSpec, ProbeResult)] = []
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                let transfer = transfers.removeValue(forKey: handle)
            else { continue }
            finished.append((transfer.spec, transfer.result(code: message.pointee.data.result)))
            // The transfer is over and its result stands: if curl will not let go of the handle here,
            // curl_easy_cleanup in the transfer's deinit detaches it.
            try? remove(handle)
        }
        return finished
    }
}
