import Foundation

extension Array where Element: Sendable {
    /// `transform` of every element, in order, computed on every CPU: profile files are independent, and reading
    /// and checking 20,000 of them one after the other took seconds.
    func concurrentMap<Result>(_ transform: @Sendable (Element) -> Result) -> [Result] {
        guard count > 1 else { return map(transform) }
        let results = ResultSlots<Result>(count: count)
        let chunks = Swift.min(count, Swift.max(1, ProcessInfo.processInfo.activeProcessorCount) * 4)
        self.withUnsafeBufferPointer { elements in
            let elements = UncheckedSendable(elements)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let range = (chunk * elements.value.count / chunks)..<((chunk + 1) * elements.value.count / chunks)
                for index in range { results.store(transform(elements.value[index]), at: index) }
            }
        }
        return results.collect()
    }
}

/// One slot per element, each written by exactly one iteration before `collect` reads them all. The memory is
/// allocated once: an array written from several threads would check its uniqueness (and copy) concurrently.
private final class ResultSlots<Result>: @unchecked Sendable {
    // @unchecked: concurrentPerform gives every index to one iteration only, and returns after all of them.
    private let slots: UnsafeMutableBufferPointer<Result?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func store(_ result: Result, at index: Int) { slots[index] = result }

    func collect() -> [Result] { slots.map { $0! } }
}

/// A buffer read by several iterations at once; nothing writes it meanwhile.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value

    init(_ value: Value) { self.value = value }
}
