import TMRouting

/// A profile as read from its file, before endpoints are numbered across the configuration.
struct ProfileDraft {
    struct EndpointDraft {
        var name: String
        var namePath: String
        var target: EndpointTarget
        var isEnabled: Bool
        var priority: Int
        var alwaysServe: Bool
        var customHeaders: [HTTPHeader]
        var weight: Int
        var geoMapping: [String]
        var subnets: [SubnetRange]
        /// Nested endpoints: the child profile (its target is filled in once every profile is read).
        var nested: NestedTarget?
        /// Where this endpoint's own keys are, for errors found after reading (`....endpoints[1].properties`).
        var propertiesPath: String
    }

    var file: String
    var name: String
    var namePath: String
    var relativeName: String
    var relativeNamePath: String
    var isEnabled: Bool
    var method: RoutingMethod
    var ttl: UInt32
    var adaptiveTTL: Bool
    var monitor: MonitorConfig
    var endpoints: [EndpointDraft]
    var maxReturn: Int
}

/// Reads one profile document: an Azure Traffic Manager profile resource, or the flattened form that
/// `az network traffic-manager profile show` prints (the same keys without the `properties` wrapper).
enum ProfileReader {
    /// ARM metadata and read-only status keys found in exports, and `$schema` (for editors: the JSON Schema in
    /// docs/schema/): never an error.
    static let ignoredTopKeys: Set<String> = [
        "id", "type", "location", "tags", "etag", "resourceGroup", "systemData", "$schema",
    ]
    static let ignoredPropertyKeys: Set<String> = ["profileMonitorStatus", "provisioningState"]
    static let unimplementedPropertyKeys: Set<String> = ["trafficViewEnrollmentStatus", "allowedEndpointRecordTypes"]
    static let ignoredEndpointKeys: Set<String> = ["id", "endpointMonitorStatus", "resourceGroup", "provisioningState"]
    static let unimplementedEndpointKeys: Set<String> = ["endpointLocation"]

    static func read(_ document: JSONValue, file: String, log: IssueLog) -> ProfileDraft? {
        guard let top = ObjectReader(document, file: file, path: "", log: log) else { return nil }
        let name = top.string("name", required: true)
        if let name, !isValidProfileName(name) {
            top.error("name", "\"\(name)\" is not a valid profile name: 1 to 63 letters, digits, '-', '_' or '.'")
        }
        let properties: ObjectReader?
        if top.has("properties") {
            properties = top.object("properties")
            top.finish(ignoring: ignoredTopKeys)
        } else {
            properties = top
        }
        guard let properties else { return nil }
        let draft = readProperties(properties, name: name, namePath: top.path(of: "name"))
        properties.finish(
            ignoring: ignoredTopKeys.union(ignoredPropertyKeys).union(["name"]),
            unimplemented: unimplementedPropertyKeys)
        return draft
    }

    private static func readProperties(_ properties: ObjectReader, name: String?, namePath: String) -> ProfileDraft? {
        let status = properties.choice("profileStatus", ["Enabled", "Disabled"])
        let method = readMethod(properties)
        var relativeName: String?
        var ttl: UInt32 = 60
        var adaptiveTTL = false
        if let dns = properties.object("dnsConfig", required: true) {
            relativeName = dns.string("relativeName", required: true)
            if let label = relativeName, !isValidLabel(label) {
                dns.error(
                    "relativeName",
                    "\"\(label)\" is not a valid DNS label: 1 to 63 letters, digits or '-', "
                        + "not starting or ending with '-'")
                relativeName = nil
            }
            ttl = dns.integer("ttl", in: 0...2_147_483_647).map { UInt32($0) } ?? ttl
            // edgetm extension: Azure has no such key.
            adaptiveTTL = dns.bool("adaptiveTtl") ?? adaptiveTTL
            dns.finish(ignoring: ["fqdn"])
        }
        let monitor = properties.object("monitorConfig").map(MonitorConfigReader.read) ?? MonitorConfig()
        let maxReturn = properties.integer("maxReturn", in: 1...10).map { Int($0) } ?? 2
        let endpoints = readEndpoints(properties)
        guard let name, isValidProfileName(name), let relativeName, let method, let endpoints else { return nil }
        MethodRules.check(method, endpoints: endpoints, properties: properties)
        return ProfileDraft(
            file: properties.file, name: name, namePath: namePath, relativeName: relativeName,
            relativeNamePath: properties.path(of: "dnsConfig.relativeName"), isEnabled: status != "Disabled",
            method: method, ttl: ttl, adaptiveTTL: adaptiveTTL, monitor: monitor, endpoints: endpoints,
            maxReturn: maxReturn)
    }

    /// Azure's methods, in Azure's order: Performance is one of them, so that it is refused with a reason rather
    /// than as unknown.
    private static let azureMethods = ["Priority", "Weighted", "Performance", "Geographic", "MultiValue", "Subnet"]

    private static func readMethod(_ properties: ObjectReader) -> RoutingMethod? {
        guard let text = properties.choice("trafficRoutingMethod", azureMethods, required: true) else { return nil }
        guard let method = RoutingMethod(rawValue: text) else {
            properties.error(
                "trafficRoutingMethod",
                "\"Performance\" is not supported: edgetm has no latency table; "
                    + "use \"Geographic\" or \"Subnet\" to send clients to nearby endpoints")
            return nil
        }
        return method
    }

    private static func readEndpoints(_ properties: ObjectReader) -> [ProfileDraft.EndpointDraft]? {
        guard let elements = properties.array("endpoints") else {
            return properties.has("endpoints") ? nil : []
        }
        let read = elements.map {
            EndpointReader.read($0.value, file: properties.file, path: $0.path, log: properties.log)
        }
        // Azure numbers endpoints without a priority in list order; here they take the lowest free values.
        var used = Set(read.compactMap { $0?.explicitPriority })
        var next = 1
        var seenNames: [String: String] = [:]
        var seenPriorities: [Int: String] = [:]
        var endpoints: [ProfileDraft.EndpointDraft] = []
        for case var endpoint? in read {
            if endpoint.explicitPriority == nil {
                while used.contains(next) { next += 1 }
                endpoint.draft.priority = next
                used.insert(next)
            }
            let draft = endpoint.draft
            if let first = seenNames[draft.name.lowercased()] {
                properties.error(
                    atPath: draft.namePath, "duplicate endpoint name \"\(draft.name)\" (first at \(first))")
            } else {
                seenNames[draft.name.lowercased()] = draft.namePath
            }
            if let owner = seenPriorities[draft.priority] {
                properties.error(
                    atPath: endpoint.priorityPath,
                    "\(draft.priority) is already the priority of endpoint \"\(owner)\"")
            } else {
                seenPriorities[draft.priority] = draft.name
            }
            endpoints.append(draft)
        }
        return endpoints.count == read.count ? endpoints : nil
    }

    static func isValidLabel(_ label: String) -> Bool {
        (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
            && label.utf8.allSatisfy {
                $0 == UInt8(ascii: "-") || ($0 < 128 && Character(UnicodeScalar($0)).isLetter)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
            }
    }

    static func isValidProfileName(_ name: String) -> Bool {
        (1...63).contains(name.utf8.count)
            && name.utf8.allSatisfy { DomainName.isHostNameByte($0) || $0 == UInt8(ascii: ".") }
    }
}
