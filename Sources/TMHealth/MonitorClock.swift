import Foundation
import TMSystem

/// The two clocks the monitor reads: monotonic seconds for schedules and histories, the wall clock only to show
/// and save them. Injected, so that tests step time instead of sleeping.
public protocol MonitorClock: Sendable {
    func monotonicNow() -> Double
    func wallNow() -> Date
}

/// The system's clocks.
public struct SystemClock: MonitorClock {
    public init() {}

    public func monotonicNow() -> Double { monotonicSeconds() }

    public func wallNow() -> Date { Date() }
}

extension MonitorClock {
    /// A monotonic time as wall-clock time, read now.
    func wallTime(ofMonotonic time: Double) -> Date { wallNow().addingTimeInterval(time - monotonicNow()) }

    /// A wall-clock time (from a state file) as monotonic time, read now.
    func monotonicTime(ofWall date: Date) -> Double { monotonicNow() - wallNow().timeIntervalSince(date) }
}
