/// `fleet.degradedWhen`: how the verdicts of several vantage points on one endpoint make the fleet's verdict. A
/// vantage point counts only once it has a verdict (Online or Degraded); one still checking is left out.
public enum DegradedWhen: Sendable, Hashable, CustomStringConvertible {
    /// More than half of the live vantage points see it Degraded (the default).
    case majority
    /// At least one does.
    case any
    /// Every one does.
    case all
    /// At least this share of them do, 0 < x ≤ 1.
    case fraction(Double)

    /// The fleet's verdict from every live vantage point's own: `checkingEndpoint` while none has one.
    public func combine(_ verdicts: some Sequence<MonitorStatus>) -> MonitorStatus {
        var live = 0
        var degraded = 0
        for verdict in verdicts {
            switch verdict {
            case .online: live += 1
            case .degraded:
                live += 1
                degraded += 1
            default: continue
            }
        }
        guard live > 0 else { return .checkingEndpoint }
        return isDegraded(degraded: degraded, of: live) ? .degraded : .online
    }

    public func isDegraded(degraded: Int, of live: Int) -> Bool {
        switch self {
        case .majority: 2 * degraded > live
        case .any: degraded >= 1
        case .all: degraded == live
        // A small tolerance, so that 2/3 of 3 reads as 2 and not as 1.9999.
        case .fraction(let share): Double(degraded) >= share * Double(live) - 1e-9
        }
    }

    /// As written in edgetm.json.
    public var description: String {
        switch self {
        case .majority: "majority"
        case .any: "any"
        case .all: "all"
        case .fraction(let share): "\(share)"
        }
    }
}
