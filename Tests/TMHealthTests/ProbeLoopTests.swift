import Foundation
import Logging
import TMRouting
import TMTestSupport
import Testing

@testable import TMHealth

/// Probes whose transfer curl will not set up: they must come back as failure results, never as a crash or a
/// probe that silently never reports.
struct ProbeLoopTests {
    /// curl refuses any string option longer than 8,000,000 bytes (CURL_MAX_INPUT_LENGTH) with
    /// CURLE_BAD_FUNCTION_ARGUMENT at setopt time: a real setopt failure, no mock needed.
    static let unsettablePath = "/" + String(repeating: "a", count: 9_000_000)

    static let badArgument = "A libcurl function was given a bad argument"

    static func spec(port: Int, path: String = "/health") -> ProbeSpec {
        var monitor = MonitorConfig()
        monitor.port = port
        monitor.path = path
        monitor.intervalSeconds = 1
        monitor.timeoutSeconds = 0.5
        let endpoint = Endpoint(id: 0, name: "e0", target: EndpointTarget("127.0.0.1")!, isEnabled: true, priority: 1)
        let profile = Profile(
            name: "app", fqdn: DomainName("app.tm.example")!, isEnabled: true, method: .priority,
            ttl: 30, monitor: monitor, endpoints: [endpoint])
        return ProbeSpec(profile: profile, endpoint: endpoint)
    }

    /// Polls until `count` results are in or `seconds` pass.
    static func results(_ loop: ProbeLoop, count: Int, within seconds: Double = 5) -> [(ProbeSpec, ProbeResult)] {
        var results: [(ProbeSpec, ProbeResult)] = []
        let deadline = Date().addingTimeInterval(seconds)
        while results.count < count, Date() < deadline { results += loop.poll(timeoutMS: 100) }
        return results
    }

    @Test func rejectedOptionThrowsTheCallAndCurlsReason() throws {
        let spec = Self.spec(port: 80, path: Self.unsettablePath)
        let error = #expect(throws: CurlError.self) { try CurlTransfer(spec: spec) }
        #expect(error?.call == "curl_easy_setopt(CURLOPT_URL)")
        #expect(error?.reason == Self.badArgument)
        #expect(error?.description == "curl_easy_setopt(CURLOPT_URL): \(Self.badArgument)")
    }

    @Test func unstartableProbeIsReturnedByTheNextPollWithoutWaiting() throws {
        let loop = try ProbeLoop()
        let spec = Self.spec(port: 80, path: Self.unsettablePath)
        loop.start(spec)
        #expect(loop.inFlight == 1)
        let started = Date()
        let results = loop.poll(timeoutMS: 5000)
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(results.count == 1)
        #expect(results.first?.0 == spec)
        #expect(
            results.first?.1
                == .failure(
                    .other("cannot start probe: curl_easy_setopt(CURLOPT_URL): \(Self.badArgument)"), latency: 0))
        #expect(loop.inFlight == 0)
        #expect(loop.poll(timeoutMS: 0).isEmpty)
    }

    @Test func unstartableProbeLeavesOthersRunning() throws {
        let loop = try ProbeLoop()
        let refused = Self.spec(port: try freePort())
        let unstartable = Self.spec(port: 80, path: Self.unsettablePath)
        loop.start(refused)
        loop.start(unstartable)
        #expect(loop.inFlight == 2)
        let results = Self.results(loop, count: 2)
        #expect(results.count == 2)
        #expect(results.first { $0.0 == refused }?.1.description == "connection refused")
        #expect(results.first { $0.0 == unstartable }?.1.description.hasPrefix("cannot start probe: ") == true)
        #expect(loop.inFlight == 0)
    }

    @Test func wakeEndsAWaitingPoll() throws {
        let loop = try ProbeLoop()
        let waker = Thread {
            usleep(100_000)
            loop.wake()
        }
        let started = Date()
        waker.start()
        #expect(loop.poll(timeoutMS: 5000).isEmpty)
        #expect(Date().timeIntervalSince(started) < 2)
    }

    @Test func monitorRecordsAnUnstartableProbeAsAFailure() throws {
        var monitor = MonitorConfig()
        monitor.port = 80
        monitor.path = Self.unsettablePath
        monitor.intervalSeconds = 1
        monitor.timeoutSeconds = 0.5
        monitor.toleratedFailures = 0
        let profile = Profile(
            name: "app", fqdn: DomainName("app.tm.example")!, isEnabled: true, method: .priority,
            ttl: 30, monitor: monitor,
            endpoints: [
                Endpoint(
                    id: 0, name: "e0", target: EndpointTarget("127.0.0.1")!,
                    isEnabled: true, priority: 1)
            ])
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let health = try HealthMonitor(logger: logger)
        health.configure([profile], generation: 0)
        startProbing(health) { _ in }
        defer { health.stop() }
        #expect(eventually(within: 5) { health.endpoints.first?.lastResult != nil })
        let state = try #require(health.endpoints.first)
        #expect(state.verdict == .degraded)
        #expect(
            state.lastResult?.description
                == "cannot start probe: curl_easy_setopt(CURLOPT_URL): \(Self.badArgument)")
    }
}
