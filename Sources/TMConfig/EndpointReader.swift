import TMRouting

/// Reads one element of a profile's `endpoints`, wrapped in `properties` or flattened.
enum EndpointReader {
    struct Result {
        var draft: ProfileDraft.EndpointDraft
        var explicitPriority: Int?
        var priorityPath: String
    }

    static func read(_ value: JSONValue, file: String, path: String, log: IssueLog) -> Result? {
        guard let top = ObjectReader(value, file: file, path: path, log: log) else { return nil }
        let name = top.string("name", required: true)
        let type = readType(top)
        let properties: ObjectReader?
        if top.has("properties") {
            properties = top.object("properties")
            top.finish(ignoring: ProfileReader.ignoredEndpointKeys)
        } else {
            properties = top
        }
        guard let properties else { return nil }
        let target = readTarget(properties)
        let status = properties.choice("endpointStatus", ["Enabled", "Disabled"])
        let priority = properties.integer("priority", in: 1...1000).map { Int($0) }
        let alwaysServe = properties.choice("alwaysServe", ["Enabled", "Disabled"])
        let headers = MonitorConfigReader.readHeaders(properties)
        properties.finish(ignoring: ProfileReader.ignoredEndpointKeys.union(["name", "type"]),
                          unimplemented: ProfileReader.unimplementedEndpointKeys)
        guard let name, type != nil, let target else { return nil }
        let draft = ProfileDraft.EndpointDraft(
            name: name, namePath: top.path(of: "name"), target: target, isEnabled: status != "Disabled",
            priority: priority ?? 0, alwaysServe: alwaysServe == "Enabled", customHeaders: headers ?? [])
        return Result(draft: draft, explicitPriority: priority, priorityPath: properties.path(of: "priority"))
    }

    private static let armPrefix = "microsoft.network/trafficmanagerprofiles/"

    /// Only external endpoints for now; the others are refused with the reason.
    private static func readType(_ top: ObjectReader) -> String? {
        guard let text = top.string("type", required: true) else { return nil }
        var short = text.lowercased()
        if short.hasPrefix(armPrefix) { short.removeFirst(armPrefix.count) }
        switch short {
        case "externalendpoints":
            return "externalEndpoints"
        case "nestedendpoints":
            top.error("type", "\"\(text)\" is not supported yet; only externalEndpoints are")
        case "azureendpoints":
            top.error("type", "\"\(text)\" refers to Azure resources, which edgetm cannot look up; "
                + "use externalEndpoints with the resource's address or DNS name")
        default:
            top.error("type", "\"\(text)\" is not an endpoint type; use \"externalEndpoints\"")
        }
        return nil
    }

    private static func readTarget(_ properties: ObjectReader) -> EndpointTarget? {
        guard let text = properties.string("target", required: true) else { return nil }
        guard let target = EndpointTarget(text) else {
            properties.error("target", "\"\(text)\" is neither an IP address nor a valid DNS name")
            return nil
        }
        return target
    }
}
