import TMWire

/// What every listener thread shares.
struct ListenerContext: Sendable {
    let store: SnapshotStore
    /// Gives the zone's prepared status; leaves profiles to `desk`.
    let status: any StatusSource
    let desk: StatusDesk
    let counters: AnswerCounters
    let queries: QueryCounters
    let heartbeat: Heartbeat
}
