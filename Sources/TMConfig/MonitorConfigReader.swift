import TMRouting

/// Reads `monitorConfig` with Azure Traffic Manager's rules, extended to sub-second intervals.
enum MonitorConfigReader {
    static let intervalRange = 0.2...3600.0

    static func read(_ reader: ObjectReader) -> MonitorConfig {
        var config = MonitorConfig()
        let probeProtocol =
            reader.choice("protocol", MonitorConfig.ProbeProtocol.allCases.map(\.rawValue))
            .flatMap(MonitorConfig.ProbeProtocol.init(rawValue:)) ?? .http
        config.probeProtocol = probeProtocol
        switch probeProtocol {
        case .http: config.port = 80
        case .https: config.port = 443
        case .tcp: config.port = 0
        }
        if let port = reader.integer("port", in: 1...65535, required: probeProtocol == .tcp) {
            config.port = Int(port)
        }
        config.path = readPath(reader, probeProtocol: probeProtocol)
        if let interval = reader.number("intervalInSeconds") {
            if intervalRange.contains(interval) {
                config.intervalSeconds = interval
            } else {
                reader.error("intervalInSeconds", "\(seconds(interval)) is out of range 0.2...3600")
            }
        }
        config.timeoutSeconds = defaultTimeout(interval: config.intervalSeconds)
        if let timeout = reader.number("timeoutInSeconds") {
            if timeout > 0, timeout < config.intervalSeconds {
                config.timeoutSeconds = timeout
            } else {
                let interval = seconds(config.intervalSeconds)
                reader.error(
                    "timeoutInSeconds", "\(seconds(timeout)) must be above 0 and below intervalInSeconds (\(interval))")
            }
        }
        config.toleratedFailures = reader.integer("toleratedNumberOfFailures", in: 0...9).map { Int($0) } ?? 3
        // edgetm's anti-flap rule; 10 bounds how long a recovered endpoint can be kept out, like Azure's 9 failures.
        config.requiredSuccesses = reader.integer("requiredSuccesses", in: 1...10).map { Int($0) } ?? 1
        config.expectedStatusCodes = readStatusRanges(reader) ?? [200...200]
        config.customHeaders = readHeaders(reader) ?? []
        config.expectedBody = readExpectedBody(reader, probeProtocol: probeProtocol)
        config.verifyCertificate = reader.bool("verifyCertificate") ?? false
        reader.finish(ignoring: ["profileMonitorStatus"])
        return config
    }

    /// `10` rather than `10.0`: as the operator would have written it.
    private static func seconds(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(value)
    }

    /// Azure's defaults: 10 s for a 30 s interval, 9 s for 10 s; sub-10 s intervals (edgetm's) get half.
    static func defaultTimeout(interval: Double) -> Double {
        interval >= 30 ? 10 : interval >= 10 ? 9 : interval / 2
    }

    private static func readPath(_ reader: ObjectReader, probeProtocol: MonitorConfig.ProbeProtocol) -> String? {
        let path = reader.string("path")
        if probeProtocol == .tcp {
            if path != nil { reader.error("path", "is not used by TCP probes; remove it") }
            return nil
        }
        guard let path else { return "/" }
        guard path.hasPrefix("/"), !path.contains(where: { $0.isWhitespace }) else {
            reader.error("path", "\"\(path)\" must start with '/' and hold no spaces")
            return "/"
        }
        return path
    }

    /// Longest `expectedBody`: Route 53 has 255 characters; a little more room, far below the 5,120 bytes searched.
    static let expectedBodyMaxBytes = 1_024

    private static func readExpectedBody(
        _ reader: ObjectReader, probeProtocol: MonitorConfig.ProbeProtocol
    ) -> String? {
        guard let text = reader.string("expectedBody") else { return nil }
        if probeProtocol == .tcp {
            reader.error("expectedBody", "is not used by TCP probes; remove it")
            return nil
        }
        guard !text.isEmpty else {
            reader.error("expectedBody", "must not be empty; remove it to check the status only")
            return nil
        }
        guard text.utf8.count <= expectedBodyMaxBytes else {
            reader.error("expectedBody", "is \(text.utf8.count) bytes long; at most \(expectedBodyMaxBytes)")
            return nil
        }
        return text
    }

    private static func readStatusRanges(_ reader: ObjectReader) -> [ClosedRange<Int>]? {
        guard let elements = reader.array("expectedStatusCodeRanges") else { return nil }
        if elements.count > 8 { reader.error("expectedStatusCodeRanges", "holds \(elements.count) ranges; at most 8") }
        var ranges: [ClosedRange<Int>] = []
        for (value, path) in elements {
            guard let range = ObjectReader(value, file: reader.file, path: path, log: reader.log) else { continue }
            let low = range.integer("min", in: 100...999, required: true)
            let high = range.integer("max", in: 100...999, required: true)
            range.finish()
            guard let low, let high else { continue }
            guard low <= high else {
                range.error("max", "\(high) is below min \(low)")
                continue
            }
            ranges.append(Int(low)...Int(high))
        }
        return ranges.isEmpty ? nil : ranges
    }

    /// `customHeaders`, on a profile's monitorConfig or on an endpoint.
    static func readHeaders(_ reader: ObjectReader) -> [HTTPHeader]? {
        guard let elements = reader.array("customHeaders") else { return nil }
        if elements.count > 8 { reader.error("customHeaders", "holds \(elements.count) headers; at most 8") }
        var headers: [HTTPHeader] = []
        for (value, path) in elements {
            guard let header = ObjectReader(value, file: reader.file, path: path, log: reader.log) else { continue }
            let name = header.string("name", required: true)
            let text = header.string("value", required: true)
            header.finish()
            guard let name, let text else { continue }
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else {
                header.error("name", "\"\(name)\" is not a valid HTTP header name")
                continue
            }
            guard !text.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                header.error("value", "must not contain line breaks")
                continue
            }
            headers.append(HTTPHeader(name: name, value: text))
        }
        return headers
    }

    /// RFC 9110 token characters.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        DomainName.isHostNameByte(byte) || "!#$%&'*+.^`|~".utf8.contains(byte)
    }
}
