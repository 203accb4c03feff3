import Synchronization
import TMWire

/// The zone's CH TXT status answer, encoded by the publisher whenever it publishes (it depends only on the
/// snapshot and the reload history), so that a listener asked for it only copies it.
final class StatusBoard: Sendable {
    private let zonePage = Mutex<PreparedStatus?>(nil)

    func post(_ page: PreparedStatus?) { zonePage.withLock { $0 = page } }

    var zone: PreparedStatus? { zonePage.withLock { $0 } }
}
