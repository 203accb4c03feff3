import TMConfig
import TMRouting
import Testing

/// Each broken profile gives exactly these `FILE: PATH: message` lines.
struct ProfileValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let old: String
        let new: String
        let expected: [String]
        var testDescription: String { expected.first ?? new }
    }

    static let second = #""target": "127.0.0.12", "endpointStatus": "Enabled", "priority": 2"#
    static let first = #""target": "127.0.0.11", "endpointStatus": "Enabled", "priority": 1"#
    static let file = "profiles/app.json"

    static let cases: [Case] = [
        Case(
            old: second, new: #""target": "127.0.0.12", "priority": 0"#,
            expected: ["\(file): properties.endpoints[1].properties.priority: 0 is out of range 1...1000"]),
        Case(
            old: second, new: #""target": "127.0.0.12", "priority": 1001"#,
            expected: ["\(file): properties.endpoints[1].properties.priority: 1001 is out of range 1...1000"]),
        Case(
            old: second, new: #""target": "127.0.0.12", "priority": 1.5"#,
            expected: ["\(file): properties.endpoints[1].properties.priority: must be a whole number, not 1.5"]),
        Case(
            old: second, new: #""target": "127.0.0.12", "priority": 1"#,
            expected: [
                #"\#(file): properties.endpoints[1].properties.priority: 1 is already the priority of endpoint "mec-atlanta""#
            ]),
        Case(
            old: #""name": "region-eastus""#, new: #""name": "MEC-Atlanta""#,
            expected: [
                #"\#(file): properties.endpoints[1].name: duplicate endpoint name "MEC-Atlanta" (first at properties.endpoints[0].name)"#
            ]),
        Case(
            old: #""ttl": 30"#, new: #""ttl": -1"#,
            expected: ["\(file): properties.dnsConfig.ttl: -1 is out of range 0...2147483647"]),
        Case(
            old: #""ttl": 30"#, new: #""ttl": 2147483648"#,
            expected: ["\(file): properties.dnsConfig.ttl: 2147483648 is out of range 0...2147483647"]),
        Case(
            old: #""ttl": 30"#, new: #""ttl": 30, "adaptiveTtl": "yes""#,
            expected: [#"\#(file): properties.dnsConfig.adaptiveTtl: must be true or false, not "yes""#]),
        Case(
            old: #""ttl": 30"#, new: #""ttl": 30, "adaptiveTTL": true"#,
            expected: ["\(file): properties.dnsConfig.adaptiveTTL: unknown key"]),
        Case(
            old: #""relativeName": "app""#, new: #""relativeName": "-app""#,
            expected: [
                #"\#(file): properties.dnsConfig.relativeName: "-app" is not a valid DNS label: 1 to 63 letters, digits or '-', not starting or ending with '-'"#
            ]),
        Case(
            old: #""relativeName": "app""#, new: #""relativeName": "a.b""#,
            expected: [
                #"\#(file): properties.dnsConfig.relativeName: "a.b" is not a valid DNS label: 1 to 63 letters, digits or '-', not starting or ending with '-'"#
            ]),
        Case(
            old: #""relativeName": "app", "#, new: "",
            expected: ["\(file): properties.dnsConfig.relativeName: is required"]),
        Case(
            old: first, new: #""target": "127.0.0.11", "colour": "red""#,
            expected: ["\(file): properties.endpoints[0].properties.colour: unknown key"]),
        Case(
            old: first, new: #""endpointStatus": "Enabled""#,
            expected: ["\(file): properties.endpoints[0].properties.target: is required"]),
        Case(
            old: first, new: #""target": "not a host!""#,
            expected: [
                #"\#(file): properties.endpoints[0].properties.target: "not a host!" is neither an IP address nor a valid DNS name"#
            ]),
        Case(
            old: first, new: #""target": "127.0.0.11", "endpointStatus": "Paused""#,
            expected: [
                #"\#(file): properties.endpoints[0].properties.endpointStatus: "Paused" is not one of "Enabled", "Disabled""#
            ]),
        Case(
            old: #""trafficRoutingMethod": "Priority""#, new: #""trafficRoutingMethod": "Geographic""#,
            expected: [
                "\(file): properties.endpoints[0].properties.geoMapping: is required for Geographic routing",
                "\(file): properties.endpoints[1].properties.geoMapping: is required for Geographic routing",
            ]),
        Case(
            old: #""trafficRoutingMethod": "Priority""#, new: #""trafficRoutingMethod": "Performance""#,
            expected: [
                #"\#(file): properties.trafficRoutingMethod: "Performance" is not supported: edgetm has no latency table; use "Geographic" or "Subnet" to send clients to nearby endpoints"#
            ]),
        Case(
            old: #""trafficRoutingMethod": "Priority""#, new: #""trafficRoutingMethod": "Fastest""#,
            expected: [
                #"\#(file): properties.trafficRoutingMethod: "Fastest" is not one of "Priority", "Weighted", "Performance", "Geographic", "MultiValue", "Subnet""#
            ]),
        Case(
            old: #""trafficRoutingMethod": "Priority","#, new: "",
            expected: ["\(file): properties.trafficRoutingMethod: is required"]),
        Case(
            old: #""name": "mec-atlanta", "type": "externalEndpoints""#,
            new: #""name": "mec-atlanta", "type": "azureEndpoints""#,
            expected: [
                #"\#(file): properties.endpoints[0].type: "azureEndpoints" refers to Azure resources, which edgetm cannot look up; use externalEndpoints with the resource's address or DNS name"#
            ]),
        Case(
            old: #""intervalInSeconds": 10"#, new: #""intervalInSeconds": 0.1"#,
            expected: ["\(file): properties.monitorConfig.intervalInSeconds: 0.1 is out of range 0.2...3600"]),
        Case(
            old: #""timeoutInSeconds": 5"#, new: #""timeoutInSeconds": 10"#,
            expected: [
                "\(file): properties.monitorConfig.timeoutInSeconds: 10 must be above 0 and below intervalInSeconds (10)"
            ]),
        Case(
            old: #""toleratedNumberOfFailures": 2"#, new: #""toleratedNumberOfFailures": 10"#,
            expected: ["\(file): properties.monitorConfig.toleratedNumberOfFailures: 10 is out of range 0...9"]),
        Case(
            old: #""toleratedNumberOfFailures": 2"#, new: #""toleratedNumberOfFailures": 2, "requiredSuccesses": 0"#,
            expected: ["\(file): properties.monitorConfig.requiredSuccesses: 0 is out of range 1...10"]),
        Case(
            old: #""toleratedNumberOfFailures": 2"#, new: #""toleratedNumberOfFailures": 2, "requiredSuccesses": 11"#,
            expected: ["\(file): properties.monitorConfig.requiredSuccesses: 11 is out of range 1...10"]),
        Case(
            old: #""toleratedNumberOfFailures": 2"#,
            new: #""toleratedNumberOfFailures": 2, "requiredSuccesses": "3""#,
            expected: [#"\#(file): properties.monitorConfig.requiredSuccesses: must be a whole number, not "3""#]),
        Case(
            old: #""toleratedNumberOfFailures": 2"#,
            new: #""toleratedNumberOfFailures": 2, "requiredSuccesses": 2.5"#,
            expected: ["\(file): properties.monitorConfig.requiredSuccesses: must be a whole number, not 2.5"]),
        Case(
            old: #""path": "/health""#, new: #""path": "/health", "expectedBody": 5"#,
            expected: ["\(file): properties.monitorConfig.expectedBody: must be a string, not 5"]),
        Case(
            old: #""path": "/health""#, new: #""path": "/health", "expectedBody": ["ok"]"#,
            expected: ["\(file): properties.monitorConfig.expectedBody: must be a string, not an array"]),
        Case(
            old: #""path": "/health""#, new: #""path": "/health", "expectedBody": """#,
            expected: [
                "\(file): properties.monitorConfig.expectedBody: must not be empty; remove it to check the status only"
            ]),
        Case(
            old: #""path": "/health""#,
            new: #""path": "/health", "expectedBody": "\#(String(repeating: "a", count: 1_025))""#,
            expected: ["\(file): properties.monitorConfig.expectedBody: is 1025 bytes long; at most 1024"]),
        // Counted in bytes, as the body is searched: 513 two-byte characters are too many.
        Case(
            old: #""path": "/health""#,
            new: #""path": "/health", "expectedBody": "\#(String(repeating: "é", count: 513))""#,
            expected: ["\(file): properties.monitorConfig.expectedBody: is 1026 bytes long; at most 1024"]),
        Case(
            old: #""protocol": "HTTP", "port": 8080, "path": "/health","#,
            new: #""protocol": "TCP", "port": 8080, "expectedBody": "ok","#,
            expected: ["\(file): properties.monitorConfig.expectedBody: is not used by TCP probes; remove it"]),
        Case(
            old: #""protocol": "HTTP""#, new: #""protocol": "TCP""#,
            expected: ["\(file): properties.monitorConfig.path: is not used by TCP probes; remove it"]),
        Case(
            old: #""protocol": "HTTP", "port": 8080, "path": "/health","#, new: #""protocol": "TCP","#,
            expected: ["\(file): properties.monitorConfig.port: is required"]),
        Case(
            old: #""path": "/health""#, new: #""path": "health""#,
            expected: [#"\#(file): properties.monitorConfig.path: "health" must start with '/' and hold no spaces"#]),
        Case(
            old: #""path": "/health""#,
            new: #""path": "/health", "expectedStatusCodeRanges": [{ "min": 300, "max": 200 }]"#,
            expected: ["\(file): properties.monitorConfig.expectedStatusCodeRanges[0].max: 200 is below min 300"]),
        Case(
            old: #""path": "/health""#,
            new: #""path": "/health", "customHeaders": [{ "name": "bad header", "value": "x" }]"#,
            expected: [
                #"\#(file): properties.monitorConfig.customHeaders[0].name: "bad header" is not a valid HTTP header name"#
            ]),
        // Several problems in one file: all of them, in the order they were read.
        Case(
            old: second, new: #""target": "127.0.0.12", "priority": 0, "speed": 3"#,
            expected: [
                "\(file): properties.endpoints[1].properties.priority: 0 is out of range 1...1000",
                "\(file): properties.endpoints[1].properties.speed: unknown key",
            ]),
        Case(
            old: #""profileStatus": "Enabled","#,
            new: #""profileStatus": "Enabled", "trafficViewEnrollmentStatus": "Disabled","#,
            expected: [
                "\(file): properties.trafficViewEnrollmentStatus: warning: Azure's 'trafficViewEnrollmentStatus' is not implemented by edgetm; ignored"
            ]),
    ]

    @Test(arguments: cases)
    func brokenProfileIsReported(_ testCase: Case) throws {
        let issues = try ConfigFixture.issues(profile: ConfigFixture.app(replacing: testCase.old, with: testCase.new))
        #expect(issues == testCase.expected)
    }

    @Test func invalidJSONNamesTheFile() throws {
        let issues = try ConfigFixture.issues(profile: "{ \"name\": \"app\", ")
        #expect(issues.count == 1)
        #expect(issues.first?.hasPrefix("profiles/app.json: $: is not valid JSON: ") == true)
    }

    @Test func profileThatIsNotAnObject() throws {
        #expect(
            try ConfigFixture.issues(profile: "[1, 2]") == ["profiles/app.json: $: must be an object, not an array"])
    }

    @Test func errorsAreRefusedWarningsAreNot() throws {
        let warned = try ConfigFixture(profiles: [
            "app.json": ConfigFixture.app(
                replacing: #""profileStatus": "Enabled","#, with: #""profileStatus": "Enabled", "maxReturn": 2,"#)
        ])
        defer { warned.remove() }
        #expect(warned.load().configuration != nil)
        let broken = try ConfigFixture(profiles: [
            "app.json": ConfigFixture.app(
                replacing: #""ttl": 30"#, with: #""ttl": "thirty""#)
        ])
        defer { broken.remove() }
        let result = broken.load()
        #expect(result.configuration == nil)
        #expect(
            result.errors.map(\.description) == [
                #"profiles/app.json: properties.dnsConfig.ttl: must be a whole number, not "thirty""#
            ])
    }

    @Test func laterDuplicateAcrossFilesIsReported() throws {
        let other = ConfigFixture.app.replacingOccurrences(of: #""name": "app""#, with: #""name": "other""#)
        let sameName = ConfigFixture.app.replacingOccurrences(
            of: #""relativeName": "app""#,
            with: #""relativeName": "app2""#)
        let fixture = try ConfigFixture(profiles: ["a.json": ConfigFixture.app, "b.json": other, "c.json": sameName])
        defer { fixture.remove() }
        #expect(
            fixture.load().issues.map(\.description) == [
                #"profiles/b.json: properties.dnsConfig.relativeName: "app" is already the relativeName of the profile in profiles/a.json"#,
                #"profiles/c.json: name: profile name "app" is already used in profiles/a.json"#,
            ])
    }
}
