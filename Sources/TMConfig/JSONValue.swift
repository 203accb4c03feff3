import Foundation

/// A JSON document as a tree, so that validation can walk it with paths and see nulls and unknown keys.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses a document; the error text says where the syntax broke. Foundation's JSONSerialization reads the
    /// text (decoding through Decodable tried every type in turn and threw for each miss: 70 % of loading 20,000
    /// profiles went there); the tree is then converted once.
    static func parse(_ data: Data) throws(JSONSyntaxError) -> JSONValue {
        if let position = firstTooDeep(data) {
            throw JSONSyntaxError(
                message: "nested deeper than \(maxDepth) levels at line \(position.line), column \(position.column)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let description = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            throw JSONSyntaxError(message: description ?? "\(error.localizedDescription)")
        }
        return JSONValue(object)
    }

    /// No configuration needs more (a profile nests about 7 levels), and JSONSerialization takes seconds per
    /// array on deeply nested input (a 20 KB file nested 500 deep took 27 s), so depth is checked first.
    static let maxDepth = 64

    /// Where an array or object opens more than `maxDepth` levels deep, by a byte scan that skips strings (and the
    /// escaped quotes in them): linear, and much cheaper than the parse it spares. Nil when the nesting is within
    /// bounds; any other syntax error is left to the parser.
    static func firstTooDeep(_ data: Data) -> (line: Int, column: Int)? {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> (line: Int, column: Int)? in
            var depth = 0
            var inString = false
            var escaped = false
            var line = 1
            var lineStart = 0
            for index in bytes.indices {
                let byte = bytes[index]
                if inString {
                    if escaped {
                        escaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""):
                    inString = true
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    depth += 1
                    if depth > maxDepth { return (line, index - lineStart + 1) }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    depth -= 1
                case UInt8(ascii: "\n"):
                    line += 1
                    lineStart = index + 1
                default:
                    break
                }
            }
            return nil
        }
    }

    private init(_ object: Any) {
        switch object {
        case let dictionary as [String: Any]:
            self = .object(dictionary.mapValues(JSONValue.init))
        case let array as [Any]:
            self = .array(array.map(JSONValue.init))
        case let string as String:
            self = .string(string)
        case let number as NSNumber:
            // JSON's true and false come back as NSNumbers whose type is C's char.
            self = String(cString: number.objCType) == "c" ? .bool(number.boolValue) : .number(number.doubleValue)
        default:
            self = .null
        }
    }

    /// How the value is described in messages: its kind, or the value itself for scalars.
    var shortDescription: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .number(let value): value == value.rounded() && abs(value) < 1e15 ? "\(Int64(value))" : "\(value)"
        case .string(let value): "\"\(value)\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}

struct JSONSyntaxError: Error {
    let message: String
}
