/// Probes waiting for their next start, earliest first: a binary min-heap, so that finding what is due costs
/// O(log n) per probe instead of a scan of every schedule on each turn of the probe loop (thousands of probes,
/// hundreds of turns a second while a round runs).
struct DueQueue {
    private var items: [(due: Double, spec: ProbeSpec)] = []

    var isEmpty: Bool { items.isEmpty }

    /// The earliest start waiting.
    var earliest: Double? { items.first?.due }

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    mutating func push(_ spec: ProbeSpec, due: Double) {
        items.append((due, spec))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].due < items[parent].due else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// The earliest probe when it is due by `now`, removed; nil otherwise.
    mutating func popDue(now: Double) -> ProbeSpec? {
        guard let first = items.first, first.due <= now else { return nil }
        let last = items.removeLast()
        guard !items.isEmpty else { return first.spec }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count, items[left].due < items[smallest].due { smallest = left }
            if right < items.count, items[right].due < items[smallest].due { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return first.spec
    }
}
