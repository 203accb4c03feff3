import Foundation
import Testing

/// Thousands of profiles: the server loads and answers them, its zone status is readable over TCP however many
/// there are, and a status query never keeps an ordinary query from being answered.
@Suite("20,000 profiles", .serialized)
struct ScaleTests {
    static let profileCount = 20_000

    /// `count` Priority profiles of one unmonitored endpoint each, written as files the way operators keep them.
    static func config(profiles count: Int) throws -> TestConfig {
        let config = try TestConfig(server: TestConfig.server(), profiles: [:])
        let directory = config.url.appendingPathComponent("profiles")
        for index in 0..<count {
            let name = "p\(index)"
            let target = "127.\(1 + index / 250 / 250).\(index / 250 % 250).\(1 + index % 250)"
            let text = TestConfig.profile(name, endpoints: [.init(name: "e", target: target, priority: 1)])
            try Data(text.utf8).write(to: directory.appendingPathComponent("\(name).json"))
        }
        return config
    }

    @Test(
        "20,000 profiles load and answer; zone status over TCP ends with truncated=, an A query beside it is answered")
    func manyProfiles() throws {
        let config = try Self.config(profiles: Self.profileCount)
        defer { config.remove() }
        let server = try ServerProcess.start(config: config.url, readyTimeout: 120)
        defer { server.stop() }
        #expect(try server.dig(["p19999.tm.example", "A"]).answerData("A") == ["127.1.79.250"])
        #expect(try server.dig(["p0.tm.example", "A"]).answerData("A") == ["127.1.0.1"])

        // The zone status and A queries sent at once: the A queries must not wait for the status.
        let zone = BackgroundDig(["tm.example", "TXT", "-c", "CH", "+tcp", "+time=10"], port: server.port)
        for index in [123, 4567, 19_999] {
            let started = Date()
            let plain = try server.dig(["p\(index).tm.example", "A", "+time=2", "+tries=1"])
            let seconds = Date().timeIntervalSince(started)
            #expect(!plain.answerData("A").isEmpty, "\(plain)")
            #expect(seconds < 2, "an A query beside a zone status query took \(seconds) s")
        }
        let status = try #require(zone.result(within: 30), "no zone status within 30 s")
        #expect(status.status == "NOERROR" && !status.flags.contains("tc"), "\(status.output.prefix(400))")
        let lines = status.answer.map(\.data)
        let header = try #require(lines.first)
        #expect(header.contains("profiles=20000 online=20000 degraded=0"), "\(header)")
        let last = try #require(lines.last)
        #expect(last.hasPrefix("\"truncated=") && last.hasSuffix("more; ask CH TXT <profile name>\""), "\(last)")
        let shown = lines.count - 2
        #expect(last.contains("truncated=\(Self.profileCount - shown) more"), "\(last), \(shown) shown")
        #expect(shown > 100)

        // A profile's status among 20,000: its summary and its endpoint.
        let profile = try server.dig(["p19999.tm.example", "TXT", "-c", "CH", "+time=2", "+tries=1"])
        let profileLines = profile.answer.map(\.data)
        #expect(profileLines.first?.hasPrefix("\"profile=p19999 method=Priority status=Online") == true, "\(profile)")
        #expect(profileLines.count == 2, "\(profileLines.count) lines")
        #expect(profileLines.last?.contains("endpoint=e priority=1 target=127.1.79.250") == true, "\(profileLines)")
    }
}

/// A dig run on a thread of its own, so that a test can query the server meanwhile.
final class BackgroundDig: @unchecked Sendable {
    // @unchecked: `response` is written once by the thread, before `done` is signalled, and read only after.
    private var response: DigResponse?
    private let done = DispatchSemaphore(value: 0)

    init(_ arguments: [String], port: UInt16) {
        Thread { [self] in
            response = try? Dig.run(arguments, port: port)
            done.signal()
        }.start()
    }

    func result(within seconds: Double) -> DigResponse? {
        done.wait(timeout: .now() + seconds) == .success ? response : nil
    }
}
