/// One problem found in the configuration: where (file and JSON path) and what.
public struct ConfigIssue: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Severity: Sendable, Hashable {
        case error
        case warning
    }

    /// Path relative to the configuration directory, as operators see it in their tree.
    public let file: String
    /// Dotted JSON path with `[index]` for arrays, or `$` for the document itself.
    public let path: String
    public let message: String
    public let severity: Severity

    public init(file: String, path: String, message: String, severity: Severity = .error) {
        self.file = file
        self.path = path.isEmpty ? "$" : path
        self.message = message
        self.severity = severity
    }

    /// `FILE: JSON.PATH: message`, with `warning: ` before the message for warnings.
    public var description: String {
        "\(file): \(path): \(severity == .warning ? "warning: " : "")\(message)"
    }
}

/// Collects issues while one load walks every file, so that a run reports all of them.
final class IssueLog {
    private(set) var issues: [ConfigIssue] = []

    var hasErrors: Bool { issues.contains { $0.severity == .error } }

    func error(_ file: String, _ path: String, _ message: String) {
        issues.append(ConfigIssue(file: file, path: path, message: message))
    }

    func warning(_ file: String, _ path: String, _ message: String) {
        issues.append(ConfigIssue(file: file, path: path, message: message, severity: .warning))
    }

    func append(_ more: [ConfigIssue]) { issues += more }
}
