import TMRouting

/// What one existing name answers: prepared answers (`fixed`) or a plan to select from per query (`perQuery`).
/// A class holding two optionals rather than an enum of two class payloads: Swift tags such a payload pointer with
/// spare bits, which leak checkers cannot follow, and one reference is all a lookup hands out either way.
final class NameEntry: Sendable {
    let fixed: PreparedName?
    let perQuery: PerQueryName?

    init(fixed: PreparedName) {
        self.fixed = fixed
        perQuery = nil
    }

    init(perQuery: PerQueryName) {
        fixed = nil
        self.perQuery = perQuery
    }
}

/// A name's prepared answers by query type. A class: a lookup hands out one reference, not a copy of every array.
final class PreparedName: Sendable {
    /// By query type.
    let answers: AnswersByType
    /// For every other type when the name has a CNAME; the table's NODATA otherwise.
    let cname: PreparedAnswer?
    /// What the answers were encoded from, so that a reload can keep them when nothing changed.
    let rrsets: [RRset]
    let endpointID: Int?

    init(answers: [UInt16: PreparedAnswer], rrsets: [RRset], endpointID: Int?) {
        self.answers = AnswersByType(answers)
        cname = answers[RecordType.cname.rawValue]
        self.rrsets = rrsets
        self.endpointID = endpointID
    }

    func isPrepared(from rrsets: [RRset], endpointID: Int?) -> Bool {
        self.endpointID == endpointID && self.rrsets == rrsets
    }

    func answer(type: UInt16, noData: PreparedAnswer) -> PreparedAnswer { answers[type] ?? cname ?? noData }
}

/// A profile name answered per query: its plan, and one prepared name per answer set the plan can select.
final class PerQueryName: Sendable {
    let plan: RoutePlan
    let variants: [PreparedName]

    init(plan: RoutePlan, variants: [PreparedName]) {
        self.plan = plan
        self.variants = variants
    }
}

/// A name's prepared answers by query type: a handful at most, so a scan beats hashing.
struct AnswersByType: Sendable {
    private let types: [UInt16]
    private let answers: [PreparedAnswer]

    init(_ byType: [UInt16: PreparedAnswer]) {
        let sorted = byType.sorted { $0.key < $1.key }
        types = sorted.map(\.key)
        answers = sorted.map(\.value)
    }

    subscript(type: UInt16) -> PreparedAnswer? {
        guard let index = types.firstIndex(of: type) else { return nil }
        return answers[index]
    }
}
