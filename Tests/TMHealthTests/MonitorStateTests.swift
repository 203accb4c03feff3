import TMHealth
import TMRouting
import Testing

/// Azure's monitor rule, without a network: Degraded on the (N+1)-th consecutive failure, Online on one success.
struct MonitorStateTests {
    static let ok = ProbeResult.success(detail: "HTTP 200", latency: 0.001)
    static let bad = ProbeResult.failure(.httpStatus(503), latency: 0.001)

    /// The health after each result, for a sequence of results.
    static func run(tolerated: Int, _ results: [ProbeResult]) -> [MonitorStatus] {
        var state = MonitorState(toleratedFailures: tolerated)
        return results.map {
            _ = state.record($0)
            return state.verdict
        }
    }

    @Test func noToleranceDegradesOnFirstFailure() {
        #expect(Self.run(tolerated: 0, [Self.bad]) == [.degraded])
        #expect(Self.run(tolerated: 0, [Self.ok, Self.bad, Self.ok]) == [.online, .degraded, .online])
    }

    @Test func toleranceOfTwoDegradesOnThirdConsecutiveFailure() {
        #expect(
            Self.run(tolerated: 2, [Self.ok, Self.bad, Self.bad, Self.bad]) == [.online, .online, .online, .degraded])
        // A success in between resets the count.
        #expect(
            Self.run(tolerated: 2, [Self.bad, Self.bad, Self.ok, Self.bad, Self.bad])
                == [.checkingEndpoint, .checkingEndpoint, .online, .online, .online])
        // From no result at all, failures within tolerance leave it checking (served).
        #expect(
            Self.run(tolerated: 2, [Self.bad, Self.bad, Self.bad]) == [.checkingEndpoint, .checkingEndpoint, .degraded])
    }

    @Test func oneSuccessRecovers() {
        #expect(
            Self.run(tolerated: 9, Array(repeating: Self.bad, count: 10) + [Self.ok]).suffix(2) == [.degraded, .online])
    }

    @Test func recordReportsOnlyChanges() {
        var state = MonitorState(toleratedFailures: 1)
        #expect(state.record(Self.ok) == .checkingEndpoint)
        #expect(state.record(Self.ok) == nil)
        #expect(state.record(Self.bad) == nil)
        #expect(state.consecutiveFailures == 1)
        #expect(state.record(Self.bad) == .online)
        #expect(state.verdict == .degraded)
        #expect(state.lastResult == Self.bad)
    }

    @Test func failureReasonsReadAsLogged() {
        #expect(ProbeFailure.httpStatus(503).description == "HTTP 503")
        #expect(ProbeFailure.timeout(after: 5).description == "timeout after 5 s")
        #expect(ProbeFailure.timeout(after: 0.5).description == "timeout after 0.5 s")
        #expect(ProbeFailure.connectionRefused.description == "connection refused")
        #expect(ProbeFailure.tlsHandshake.description == "TLS handshake failed")
    }
}
