import Foundation

/// One resource record as dig prints it: `owner TTL CLASS TYPE data...`.
struct DigRecord: CustomStringConvertible, Equatable {
    let name: String
    let ttl: Int
    let dnsClass: String
    let type: String
    /// The data fields joined by single spaces.
    let data: String

    var description: String { "\(name) \(ttl) \(dnsClass) \(type) \(data)" }
}

struct DigQuestion: Equatable {
    let name: String
    let dnsClass: String
    let type: String
}

/// dig's `; EDNS: version: 0, flags:; udp: 1232` line.
struct DigEDNS: Equatable {
    let version: Int
    let udp: Int
}

/// What dig printed for the last answer it got, parsed.
struct DigResponse: CustomStringConvertible {
    var output = ""
    var opcode: String?
    var status: String?
    var id: Int?
    var flags: Set<String> = []
    /// QUERY, ANSWER, AUTHORITY, ADDITIONAL as counted in the header (dig counts the OPT record in ADDITIONAL).
    var counts: [String: Int] = [:]
    var edns: DigEDNS?
    var question: [DigQuestion] = []
    var answer: [DigRecord] = []
    var authority: [DigRecord] = []
    var additional: [DigRecord] = []
    /// "UDP" or "TCP", from the `;; SERVER:` line.
    var transport: String?

    var description: String { output }

    func records(_ section: [DigRecord], type: String) -> [DigRecord] { section.filter { $0.type == type } }

    /// The data of the answer records of `type`, sorted.
    func answerData(_ type: String) -> [String] { records(answer, type: type).map(\.data).sorted() }

    /// Parses dig's default output; when dig printed several answers (retries), the last one counts.
    init(parsing output: String) {
        self.output = output
        enum Section { case none, question, answer, authority, additional }
        var section = Section.none
        for rawLine in output.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty {
                section = .none
                continue
            }
            if line.hasPrefix(";; Got answer:") {
                let kept = output
                self = DigResponse()
                self.output = kept
                section = .none
                continue
            }
            if line.hasPrefix(";; ->>HEADER<<-") {
                for part in line.dropFirst(";; ->>HEADER<<-".count).split(separator: ",") {
                    let pair = part.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard pair.count == 2 else { continue }
                    switch pair[0] {
                    case "opcode": opcode = pair[1]
                    case "status": status = pair[1]
                    case "id": id = Int(pair[1])
                    default: break
                    }
                }
                continue
            }
            if line.hasPrefix(";; flags:") {
                let rest = line.dropFirst(";; flags:".count)
                let parts = rest.split(separator: ";", maxSplits: 1)
                flags = Set((parts.first ?? "").split(separator: " ").map(String.init))
                if parts.count > 1 {
                    for item in parts[1].split(separator: ",") {
                        let pair = item.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
                        if pair.count == 2, let value = Int(pair[1]) { counts[pair[0]] = value }
                    }
                }
                continue
            }
            if line.hasPrefix("; EDNS:") {
                var version: Int?
                var udp: Int?
                for part in line.dropFirst("; EDNS:".count).split(separator: ";") {
                    for item in part.split(separator: ",") {
                        let pair = item.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
                        guard pair.count == 2 else { continue }
                        if pair[0] == "version" { version = Int(pair[1]) }
                        if pair[0] == "udp" { udp = Int(pair[1]) }
                    }
                }
                if let version, let udp { edns = DigEDNS(version: version, udp: udp) }
                continue
            }
            if line.hasPrefix(";; SERVER:") {
                if line.hasSuffix("(TCP)") { transport = "TCP" } else if line.hasSuffix("(UDP)") { transport = "UDP" }
                continue
            }
            switch line {
            case ";; QUESTION SECTION:":
                section = .question
                continue
            case ";; ANSWER SECTION:":
                section = .answer
                continue
            case ";; AUTHORITY SECTION:":
                section = .authority
                continue
            case ";; ADDITIONAL SECTION:":
                section = .additional
                continue
            default: break
            }
            if section == .question, line.hasPrefix(";") {
                let fields = line.dropFirst().split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                if fields.count >= 3 {
                    question.append(DigQuestion(name: fields[0], dnsClass: fields[1], type: fields[2]))
                }
                continue
            }
            if line.hasPrefix(";") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count >= 4, let ttl = Int(fields[1]) else { continue }
            let record = DigRecord(
                name: fields[0], ttl: ttl, dnsClass: fields[2], type: fields[3],
                data: fields.dropFirst(4).joined(separator: " "))
            switch section {
            case .answer: answer.append(record)
            case .authority: authority.append(record)
            case .additional: additional.append(record)
            case .none, .question: break
            }
        }
    }

    private init() {}
}

/// Runs `/usr/bin/dig` against a test server and parses what it printed.
enum Dig {
    static let path = URL(fileURLWithPath: "/usr/bin/dig")

    /// `dig @SERVER -p PORT +norec +time=2 +tries=2 ARGS...`; later arguments win, so `+rec` in `arguments` asks
    /// for recursion. Throws when dig got no answer at all.
    static func run(_ arguments: [String], server: Loopback = .v4, port: UInt16) throws -> DigResponse {
        guard FileManager.default.isExecutableFile(atPath: path.path) else {
            throw HarnessError("/usr/bin/dig is missing: install the Debian package dnsutils")
        }
        let result = try Command.run(
            path,
            ["@\(server.text)", "-p", "\(port)", "+norec", "+time=2", "+tries=2"]
                + arguments, timeout: 30)
        let response = DigResponse(parsing: result.stdout)
        guard result.status == 0, response.status != nil else {
            throw HarnessError(
                "dig \(arguments.joined(separator: " ")) @\(server.text) -p \(port) got no answer "
                    + "(\(result.termination.map(\.description) ?? "timed out")):\n\(result.stdout)\(result.stderr)")
        }
        return response
    }
}
