/// A fully qualified domain name, kept as the operator wrote it (for answers) and compared without case.
public struct DomainName: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// Labels in original case, root excluded.
    public let labels: [String]

    public init(labels: [String]) { self.labels = labels }

    /// Why text is not a usable host name, or nil when it is.
    public static func problem(with text: String) -> String? {
        if text == "." { return nil }
        let body = text.hasSuffix(".") ? String(text.dropLast()) : text
        if body.isEmpty { return "is empty" }
        let labels = body.split(separator: ".", omittingEmptySubsequences: false)
        if labels.contains(where: \.isEmpty) { return "has an empty label" }
        if let label = labels.first(where: { $0.utf8.count > 63 }) { return "label '\(label)' is longer than 63 bytes" }
        if body.utf8.count + 2 > 255 { return "is longer than 255 bytes in wire form" }
        if let label = labels.first(where: { !$0.utf8.allSatisfy(Self.isHostNameByte) }) {
            return "label '\(label)' may only hold letters, digits, '-' and '_'"
        }
        return nil
    }

    /// Parses text with or without the trailing dot; nil when `problem(with:)` has an objection.
    public init?(_ text: String) {
        guard Self.problem(with: text) == nil else { return nil }
        let body = text.hasSuffix(".") ? String(text.dropLast()) : text
        labels = body.isEmpty ? [] : body.split(separator: ".").map(String.init)
    }

    public static let root = DomainName(labels: [])

    /// Lowercased text with the trailing dot, the form used as a key.
    public var key: String { description.lowercased() }

    public var description: String { labels.isEmpty ? "." : labels.joined(separator: ".") + "." }

    public static func == (lhs: DomainName, rhs: DomainName) -> Bool { lhs.key == rhs.key }
    public func hash(into hasher: inout Hasher) { hasher.combine(key) }
    public static func < (lhs: DomainName, rhs: DomainName) -> Bool { lhs.key < rhs.key }

    /// `self` is `other` or a name below it.
    public func isSubdomain(of other: DomainName) -> Bool {
        guard labels.count >= other.labels.count else { return false }
        return zip(labels.suffix(other.labels.count), other.labels).allSatisfy { $0.lowercased() == $1.lowercased() }
    }

    public func prepending(_ label: String) -> DomainName { DomainName(labels: [label] + labels) }

    /// The name one label up; the root's parent is the root.
    public var parent: DomainName { DomainName(labels: Array(labels.dropFirst())) }

    public static func isHostNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }
}
