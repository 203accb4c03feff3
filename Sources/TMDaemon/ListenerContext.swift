import TMWire

/// What every listener thread shares.
struct ListenerContext: Sendable {
    let store: SnapshotStore
    let status: any StatusSource
    let counters: AnswerCounters
    let heartbeat: Heartbeat
}
