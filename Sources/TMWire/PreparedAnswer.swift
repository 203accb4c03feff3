/// Response codes edgetm sends (RFC 1035, 6891, 7873).
enum RCode: UInt16 {
    case noError = 0, formErr = 1, nxDomain = 3, notImplemented = 4, refused = 5
    case badVersion = 16, badCookie = 23
}

/// A response prepared when the configuration or health changed: everything after the question, in wire form.
/// The query path only puts the query's ID, flags and question in front of it.
struct PreparedAnswer: Sendable, Hashable {
    let rcode: RCode
    let authoritative: Bool
    let answerCount: UInt16
    let authorityCount: UInt16
    let additionalCount: UInt16
    /// Answer, authority and additional sections. Compression pointers in it assume the question starts at
    /// offset 12 and has the length of the name it was prepared for.
    let sections: [UInt8]
    /// The endpoint this answer hands out, for per-endpoint answer counts; -1 for none.
    var endpointID: Int32 = -1
    /// For answers that fit behind any question name at or below the apex (the negative ones): where `sections`
    /// holds compression pointers, prepared against a question of `preparedNameLength` bytes. Every target moves
    /// by as much as the real question name is longer, since the apex it ends with and all of `sections` move so.
    var relocations: [UInt16] = []
    var preparedNameLength = 0

    static let refused = PreparedAnswer(
        rcode: .refused, authoritative: false, answerCount: 0, authorityCount: 0,
        additionalCount: 0, sections: [])
    static let formatError = PreparedAnswer(
        rcode: .formErr, authoritative: false, answerCount: 0,
        authorityCount: 0, additionalCount: 0, sections: [])
    static let badCookie = PreparedAnswer(
        rcode: .badCookie, authoritative: false, answerCount: 0,
        authorityCount: 0, additionalCount: 0, sections: [])
    /// The answer to a query for a server cookie alone (RFC 7873 §5.4): no records, the cookie in the OPT record.
    static let cookieOnly = PreparedAnswer(
        rcode: .noError, authoritative: false, answerCount: 0,
        authorityCount: 0, additionalCount: 0, sections: [])
    static let badVersion = PreparedAnswer(
        rcode: .badVersion, authoritative: false, answerCount: 0,
        authorityCount: 0, additionalCount: 0, sections: [])
}
