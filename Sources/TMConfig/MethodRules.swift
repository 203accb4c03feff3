import TMRouting

/// What each routing method asks of its endpoints, checked once a profile's endpoints are read.
enum MethodRules {
    static func check(_ method: RoutingMethod, endpoints: [ProfileDraft.EndpointDraft], properties: ObjectReader) {
        switch method {
        case .geographic:
            checkGeographic(endpoints, properties)
        case .subnet:
            checkSubnets(endpoints, properties)
        case .multiValue:
            for endpoint in endpoints {
                if endpoint.nested != nil {
                    properties.error(
                        atPath: "\(endpoint.propertiesPath).target",
                        "MultiValue profiles cannot have nested endpoints")
                } else if case .name = endpoint.target {
                    properties.error(
                        atPath: "\(endpoint.propertiesPath).target",
                        "MultiValue answers only address targets, not DNS names")
                }
            }
        case .priority, .weighted:
            break
        }
    }

    /// Every endpoint maps at least one code; a code maps to at most one endpoint.
    private static func checkGeographic(_ endpoints: [ProfileDraft.EndpointDraft], _ properties: ObjectReader) {
        var owners: [String: String] = [:]
        for endpoint in endpoints {
            if endpoint.geoMapping.isEmpty {
                properties.error(atPath: "\(endpoint.propertiesPath).geoMapping", "is required for Geographic routing")
            }
            for (index, code) in endpoint.geoMapping.enumerated() {
                if let owner = owners[code] {
                    properties.error(
                        atPath: "\(endpoint.propertiesPath).geoMapping[\(index)]",
                        "\"\(code)\" is already mapped to endpoint \"\(owner)\"")
                } else {
                    owners[code] = endpoint.name
                }
            }
        }
    }

    /// Ranges never overlap; at most one endpoint is the fallback (no subnets).
    private static func checkSubnets(_ endpoints: [ProfileDraft.EndpointDraft], _ properties: ObjectReader) {
        var seen: [(range: SubnetRange, owner: String)] = []
        var fallback: String?
        for endpoint in endpoints {
            if endpoint.subnets.isEmpty {
                if let fallback {
                    properties.error(
                        atPath: "\(endpoint.propertiesPath).subnets",
                        "only one endpoint may be without "
                            + "subnets (the fallback); \"\(fallback)\" already is")
                }
                fallback = fallback ?? endpoint.name
            }
            for (index, range) in endpoint.subnets.enumerated() {
                if let clash = seen.first(where: { $0.range.overlaps(range) }) {
                    properties.error(
                        atPath: "\(endpoint.propertiesPath).subnets[\(index)]",
                        "\(range) overlaps \(clash.range) of endpoint \"\(clash.owner)\"")
                }
                seen.append((range, endpoint.name))
            }
        }
    }
}
