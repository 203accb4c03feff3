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
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let description = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            throw JSONSyntaxError(message: description ?? "\(error.localizedDescription)")
        }
        return JSONValue(object)
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
