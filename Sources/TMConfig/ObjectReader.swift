/// Reads one JSON object key by key, reporting each problem with its path; `finish` reports the keys nobody read.
/// `null` values count as absent, as in Azure exports.
final class ObjectReader {
    let file: String
    let path: String
    private let fields: [String: JSONValue]
    let log: IssueLog
    private var readKeys: Set<String> = []

    /// Nil (after logging) when `value` is not an object.
    init?(_ value: JSONValue, file: String, path: String, log: IssueLog) {
        guard case .object(let fields) = value else {
            log.error(file, path, "must be an object, not \(value.shortDescription)")
            return nil
        }
        self.file = file
        self.path = path
        self.fields = fields.filter { if case .null = $0.value { false } else { true } }
        self.log = log
    }

    func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func has(_ key: String) -> Bool { fields[key] != nil }

    func error(_ key: String, _ message: String) { log.error(file, path(of: key), message) }

    /// For elements of arrays read through `array`, which come with their full path.
    func error(atPath fullPath: String, _ message: String) { log.error(file, fullPath, message) }

    var keys: [String] { fields.keys.sorted() }

    func warning(_ key: String, _ message: String) { log.warning(file, path(of: key), message) }

    /// The raw value, marking the key as read.
    func value(_ key: String, required: Bool = false) -> JSONValue? {
        readKeys.insert(key)
        guard let value = fields[key] else {
            if required { error(key, "is required") }
            return nil
        }
        return value
    }

    func string(_ key: String, required: Bool = false) -> String? {
        guard let value = value(key, required: required) else { return nil }
        guard case .string(let text) = value else {
            error(key, "must be a string, not \(value.shortDescription)")
            return nil
        }
        return text
    }

    /// One of `choices`, matched without case as Azure does, returned in the spelling of `choices`.
    func choice(_ key: String, _ choices: [String], required: Bool = false) -> String? {
        guard let text = string(key, required: required) else { return nil }
        if let match = choices.first(where: { $0.lowercased() == text.lowercased() }) { return match }
        error(key, "\"\(text)\" is not one of \(choices.map { "\"\($0)\"" }.joined(separator: ", "))")
        return nil
    }

    func integer(_ key: String, in range: ClosedRange<Int64>, required: Bool = false) -> Int64? {
        guard let value = value(key, required: required) else { return nil }
        guard case .number(let number) = value, number == number.rounded(), abs(number) < 1e18 else {
            error(key, "must be a whole number, not \(value.shortDescription)")
            return nil
        }
        guard range.contains(Int64(number)) else {
            error(key, "\(Int64(number)) is out of range \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return Int64(number)
    }

    func number(_ key: String, required: Bool = false) -> Double? {
        guard let value = value(key, required: required) else { return nil }
        guard case .number(let number) = value else {
            error(key, "must be a number, not \(value.shortDescription)")
            return nil
        }
        return number
    }

    func bool(_ key: String) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else {
            error(key, "must be true or false, not \(value.shortDescription)")
            return nil
        }
        return flag
    }

    func object(_ key: String, required: Bool = false) -> ObjectReader? {
        guard let value = value(key, required: required) else { return nil }
        return ObjectReader(value, file: file, path: path(of: key), log: log)
    }

    /// The elements with their paths.
    func array(_ key: String, required: Bool = false) -> [(value: JSONValue, path: String)]? {
        guard let value = value(key, required: required) else { return nil }
        guard case .array(let elements) = value else {
            error(key, "must be an array, not \(value.shortDescription)")
            return nil
        }
        return elements.enumerated().map { ($1, "\(path(of: key))[\($0)]") }
    }

    /// Keys are reported by name: `ignored` silently (read-only keys of exports), `unimplemented` as warnings,
    /// anything else as an error.
    func finish(ignoring ignored: Set<String> = [], unimplemented: Set<String> = []) {
        for key in fields.keys.sorted() where !readKeys.contains(key) && !ignored.contains(key) {
            if unimplemented.contains(key) {
                warning(key, "Azure's '\(key)' is not implemented by edgetm; ignored")
            } else {
                error(key, "unknown key")
            }
        }
    }
}
