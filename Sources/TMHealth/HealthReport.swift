import TMRouting

/// What the monitor hands the publisher after results that changed a verdict (or, for endpoints that answers with
/// an adaptive TTL depend on, the number of results until the next one): the health vector for configuration
/// `generation` and which endpoints changed, so that only the profiles holding them are planned again.
public struct HealthReport: Sendable {
    public let generation: Int
    public let health: HealthVector
    /// Endpoint ids whose verdict changed, or whose results until a change did (adaptive-TTL answers only).
    public let changed: [Int]

    public init(generation: Int, health: HealthVector, changed: [Int]) {
        self.generation = generation
        self.health = health
        self.changed = changed
    }
}
