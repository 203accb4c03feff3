import TMSystem

extension EtcdClient {
    /// Blocks, watching every key under `prefix` from `startRevision` (inclusive) and calling `onBatch` on this
    /// thread for each batch of events as it arrives; progress notifications come as batches without events.
    ///
    /// Returns only by throwing: `.cancelled` after `cancellation.cancel()`, `.compacted(rev)` when
    /// `startRevision` was compacted (read the prefix again and watch from after that read), `.unreachable` when
    /// no endpoint answered or the stream ended (etcd went away: watch again from the last revision seen + 1).
    public func watch(
        prefix: String, from startRevision: Int64, cancellation: EtcdCancellation,
        onBatch: (EtcdWatchBatch) -> Void
    ) throws(EtcdError) -> Never {
        var create = EtcdGateway.prefixSelector(prefix)
        create["start_revision"] = String(startRevision)
        create["progress_notify"] = true
        let body = EtcdGateway.encode(["create_request": create])
        var reasons: [String] = []
        for index in attemptOrder() {
            if cancellation.isCancelled { throw EtcdError(.cancelled, "watch on \(prefix) cancelled") }
            let url = endpoints[index]
            let stream = WatchStream(url: url)
            let transfer: EtcdTransfer
            do {
                // A member cut off from its cluster would keep the stream open and silent while the others move on;
                // asked to require a leader, it ends the watch with "no leader" instead (etcd's gateway passes
                // Grpc-Metadata- headers on as gRPC metadata), and another member takes it up.
                transfer = try EtcdTransfer(
                    url: url + "/v3/watch", body: body, tls: tls, connectTimeout: connectTimeout, requestTimeout: nil,
                    headers: ["Grpc-Metadata-hasleader: true"])
            } catch {
                reasons.append(error.message)
                continue
            }
            let outcome = withoutActuallyEscaping(onBatch) { onBatch in
                transfer.onData = { piece in stream.take(piece, onBatch) }
                // Only the connection has a timeout: a member that accepts and never confirms the watch is
                // given up on after the request timeout, so that the next one is tried.
                let deadline = monotonicSeconds() + requestTimeout
                var announced = false
                let outcome = transfer.perform(cancellation: cancellation) {
                    // `currentEndpoint` names the watch's member while the watch runs, which may be for hours.
                    if stream.created && !announced {
                        announced = true
                        answered(index)
                    }
                    return stream.stopReason != nil || (!stream.created && monotonicSeconds() > deadline)
                }
                transfer.onData = { _ in false }
                return outcome
            }
            if cancellation.isCancelled { throw EtcdError(.cancelled, "\(url): watch on \(prefix) cancelled") }
            if stream.created { answered(index) }
            if let stop = stream.stopReason {
                guard case .unavailable(let reason) = stop, !stream.created else { throw stop.error(url) }
                reasons.append("\(url): \(reason)")
                continue
            }
            // A complete response may end without a newline (an error reply); a broken one in mid-line, which is
            // then not etcd's to answer for.
            if case .answered = outcome, let stop = stream.finish(onBatch) {
                guard case .unavailable(let reason) = stop, !stream.created else { throw stop.error(url) }
                reasons.append("\(url): \(reason)")
                continue
            }
            let reason: String
            switch outcome {
            case .failed(let text): reason = text
            case .answered(let status): reason = "stream ended (HTTP \(status))"
            case .stopped: reason = "no watch confirmation within \(requestTimeout) s"
            }
            if stream.created { throw EtcdError(.unreachable, "\(url): watch stream ended: \(reason)") }
            reasons.append("\(url): \(reason)")
        }
        throw unreachable(reasons)
    }
}

/// The watch's response stream, one JSON message a line, cut into lines across curl's write calls. Used on the
/// watching thread only.
private final class WatchStream {
    enum Stop {
        /// etcd said unavailable (no leader): another member may serve the watch.
        case unavailable(String)
        case fatal(EtcdError)

        func error(_ url: String) -> EtcdError {
            switch self {
            case .unavailable(let reason): EtcdError(.unreachable, "\(url): \(reason)")
            case .fatal(let error): error
            }
        }
    }

    let url: String
    private var pending: [UInt8] = []
    /// The first message (created: true) arrived: the watch runs on this endpoint.
    private(set) var created = false
    private(set) var stopReason: Stop?

    init(url: String) {
        self.url = url
    }

    /// Feeds one piece of the body; false once the stream must stop.
    func take(_ piece: UnsafeRawBufferPointer, _ onBatch: (EtcdWatchBatch) -> Void) -> Bool {
        var start = 0
        for (offset, byte) in piece.enumerated() where byte == UInt8(ascii: "\n") {
            pending.append(contentsOf: piece[start..<offset])
            start = offset + 1
            let line = pending
            pending.removeAll(keepingCapacity: true)
            if !handle(line, onBatch) { return false }
        }
        pending.append(contentsOf: piece[start...])
        return true
    }

    /// Handles a last line that had no newline; the reason to stop if it holds one.
    func finish(_ onBatch: (EtcdWatchBatch) -> Void) -> Stop? {
        let line = pending
        pending = []
        _ = handle(line, onBatch)
        return stopReason
    }

    private func handle(_ line: [UInt8], _ onBatch: (EtcdWatchBatch) -> Void) -> Bool {
        guard line.contains(where: { $0 > 0x20 }) else { return true }
        guard let message = EtcdGateway.object(line) else {
            return stop(.fatal(EtcdError(.malformed, "\(url): watch message not JSON: \(text(line))")))
        }
        if let failure = EtcdGateway.failure(in: message) {
            if failure.isUnavailable { return stop(.unavailable(failure.message)) }
            return stop(.fatal(EtcdError(.refused, "\(url): \(failure.message)")))
        }
        guard let result = message["result"] as? [String: Any] else {
            return stop(.fatal(EtcdError(.malformed, "\(url): unexpected watch message: \(text(line))")))
        }
        if EtcdGateway.flag(result["canceled"]) {
            let compacted = EtcdGateway.int64(result["compact_revision"])
            if compacted > 0 {
                let error = EtcdError(.compacted(compacted), "\(url): revision compacted, oldest left is \(compacted)")
                return stop(.fatal(error))
            }
            let reason = (result["cancel_reason"] as? String) ?? "no reason given"
            return stop(.fatal(EtcdError(.refused, "\(url): watch cancelled by etcd: \(reason)")))
        }
        if EtcdGateway.flag(result["created"]) {
            created = true
            return true
        }
        guard let events = EtcdGateway.events(result) else {
            return stop(.fatal(EtcdError(.malformed, "\(url): unexpected watch events: \(text(line))")))
        }
        // A batch arriving proves the watch runs even if the created message was somehow missed.
        created = true
        onBatch(EtcdWatchBatch(revision: EtcdGateway.revision(result), events: events))
        return true
    }

    private func stop(_ reason: Stop) -> Bool {
        stopReason = reason
        return false
    }

    private func text(_ line: [UInt8]) -> String {
        String(decoding: line.prefix(200), as: UTF8.self)
    }
}
