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
        var target: EndpointTarget?
        var nested: NestedTarget?
        if type == "nestedEndpoints" {
            nested = readNested(properties)
            target = nested.map { .name(DomainName(labels: [$0.profile])) }
        } else {
            target = readTarget(properties)
        }
        let status = properties.choice("endpointStatus", ["Enabled", "Disabled"])
        let priority = properties.integer("priority", in: 1...1000).map { Int($0) }
        let alwaysServe = properties.choice("alwaysServe", ["Enabled", "Disabled"])
        let headers = MonitorConfigReader.readHeaders(properties)
        let weight = properties.integer("weight", in: 1...1000).map { Int($0) } ?? 1
        let geoMapping = readGeoMapping(properties)
        let subnets = readSubnets(properties)
        properties.finish(
            ignoring: ProfileReader.ignoredEndpointKeys.union(["name", "type"]),
            unimplemented: ProfileReader.unimplementedEndpointKeys)
        guard let name, type != nil, let target else { return nil }
        let draft = ProfileDraft.EndpointDraft(
            name: name, namePath: top.path(of: "name"), target: target, isEnabled: status != "Disabled",
            priority: priority ?? 0, alwaysServe: alwaysServe == "Enabled", customHeaders: headers ?? [],
            weight: weight, geoMapping: geoMapping, subnets: subnets, nested: nested,
            propertiesPath: properties.path)
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
            return "nestedEndpoints"
        case "azureendpoints":
            top.error(
                "type",
                "\"\(text)\" refers to Azure resources, which edgetm cannot look up; "
                    + "use externalEndpoints with the resource's address or DNS name")
        default:
            top.error("type", "\"\(text)\" is not an endpoint type; use \"externalEndpoints\" or \"nestedEndpoints\"")
        }
        return nil
    }

    /// `target` names the child profile; a `targetResourceId` ending in `/trafficManagerProfiles/<name>` does too.
    private static func readNested(_ properties: ObjectReader) -> NestedTarget? {
        let target = properties.string("target")
        let resource = properties.string("targetResourceId")
        var child = target
        if child == nil, let resource {
            let parts = resource.split(separator: "/")
            if parts.count >= 2, parts[parts.count - 2].lowercased() == "trafficmanagerprofiles" {
                child = String(parts[parts.count - 1])
            } else {
                properties.error("targetResourceId", "\"\(resource)\" does not end in /trafficManagerProfiles/<name>")
                return nil
            }
        }
        let minimum = properties.integer("minChildEndpoints", in: 1...1000).map { Int($0) } ?? 1
        let minimum4 = properties.integer("minChildEndpointsIPv4", in: 0...1000).map { Int($0) } ?? 0
        let minimum6 = properties.integer("minChildEndpointsIPv6", in: 0...1000).map { Int($0) } ?? 0
        guard let child else {
            properties.error("target", "is required: the name of the child profile")
            return nil
        }
        return NestedTarget(
            profile: child, minChildEndpoints: minimum, minChildEndpointsIPv4: minimum4,
            minChildEndpointsIPv6: minimum6)
    }

    private static func readGeoMapping(_ properties: ObjectReader) -> [String] {
        guard let elements = properties.array("geoMapping") else { return [] }
        return elements.compactMap { value, path in
            guard case .string(let code) = value, GeoHierarchy.isKnown(code) else {
                properties.error(
                    atPath: path,
                    "\(value.shortDescription) is not a location code: WORLD, a GEO-xx "
                        + "grouping, an ISO 3166-1 country code or a state/province code such as US-CA")
                return nil
            }
            return code.uppercased()
        }
    }

    /// `{ "first": "192.0.2.0", "scope": 24 }` or `{ "first": "...", "last": "..." }`.
    private static func readSubnets(_ properties: ObjectReader) -> [SubnetRange] {
        guard let elements = properties.array("subnets") else { return [] }
        return elements.compactMap { value, path in
            guard let subnet = ObjectReader(value, file: properties.file, path: path, log: properties.log) else {
                return nil
            }
            defer { subnet.finish() }
            guard let firstText = subnet.string("first", required: true) else { return nil }
            guard let first = IPAddress(firstText) else {
                subnet.error("first", "\"\(firstText)\" is not an IP address")
                return nil
            }
            if subnet.has("scope") {
                let maximum: Int64 = if case .v4 = first { 32 } else { 128 }
                guard let scope = subnet.integer("scope", in: 0...maximum) else { return nil }
                if subnet.has("last") { subnet.error("last", "give either scope or last, not both") }
                guard let network = IPNetwork(address: first, prefixLength: Int(scope)), network.address == first else {
                    subnet.error("first", "\(first) has bits set beyond the /\(scope) scope")
                    return nil
                }
                return SubnetRange(network: network)
            }
            guard let lastText = subnet.string("last", required: true) else { return nil }
            guard let last = IPAddress(lastText), let range = SubnetRange(first: first, last: last) else {
                subnet.error("last", "\"\(lastText)\" is not an address of the same family at or after \(first)")
                return nil
            }
            return range
        }
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
