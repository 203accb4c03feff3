import TMHealth
import TMRouting
import Testing

/// Azure's monitor rule, without a network: Degraded on the (N+1)-th consecutive failure, Online on one success;
/// and edgetm's `requiredSuccesses`, which makes the way back from Degraded take several.
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

    struct RecoveryCase: Sendable, CustomTestStringConvertible {
        let required: Int
        /// `+` a success, `-` a failure.
        let results: String
        /// The verdict after each result: `C` checking, `O` Online, `D` Degraded.
        let verdicts: String
        var testDescription: String { "requiredSuccesses \(required): \(results)" }
    }

    /// With toleratedNumberOfFailures 0, so that every failure degrades.
    static let recoveryCases: [RecoveryCase] = [
        // Azure's rule: one success is enough, so alternating results flap on every probe.
        RecoveryCase(required: 1, results: "+-+-+-", verdicts: "ODODOD"),
        RecoveryCase(required: 1, results: "--+", verdicts: "DDO"),
        // Three in a row: alternating results never bring it back; a failure starts the count again.
        RecoveryCase(required: 3, results: "+-+-+-+-", verdicts: "ODDDDDDD"),
        RecoveryCase(required: 3, results: "-+++", verdicts: "DDDO"),
        RecoveryCase(required: 3, results: "-++-+++", verdicts: "DDDDDDO"),
        // Only the way back from Degraded is earned: a new endpoint and an Online one take one success.
        RecoveryCase(required: 3, results: "+++", verdicts: "OOO"),
        RecoveryCase(required: 3, results: "+-+++-", verdicts: "ODDDOD"),
    ]

    @Test(arguments: recoveryCases)
    func requiredSuccessesBringADegradedEndpointBack(_ testCase: RecoveryCase) {
        var state = MonitorState(toleratedFailures: 0, requiredSuccesses: testCase.required)
        let verdicts = testCase.results.map { symbol in
            _ = state.record(symbol == "+" ? Self.ok : Self.bad)
            return state.verdict
        }
        let letters: [MonitorStatus: Character] = [.checkingEndpoint: "C", .online: "O", .degraded: "D"]
        #expect(String(verdicts.map { letters[$0]! }) == testCase.verdicts)
    }

    @Test func successesAreCountedAndResetByAFailure() {
        var state = MonitorState(toleratedFailures: 1, requiredSuccesses: 3)
        _ = state.record(Self.bad)
        _ = state.record(Self.bad)
        #expect(state.verdict == .degraded && state.consecutiveSuccesses == 0)
        #expect(state.record(Self.ok) == nil)
        #expect(state.record(Self.ok) == nil)
        #expect(state.consecutiveSuccesses == 2 && state.consecutiveFailures == 0)
        _ = state.record(Self.bad)
        #expect(state.consecutiveSuccesses == 0 && state.consecutiveFailures == 1)
        // A restored count carries on: one more success completes three.
        var restored = MonitorState(
            toleratedFailures: 0, requiredSuccesses: 3, verdict: .degraded, consecutiveFailures: 0,
            consecutiveSuccesses: 2)
        #expect(restored.record(Self.ok) == .degraded)
        #expect(restored.verdict == .online)
    }

    @Test func retunedStateJudgesTheNextResultByTheNewThreshold() {
        var state = MonitorState(toleratedFailures: 0, requiredSuccesses: 5)
        _ = state.record(Self.bad)
        _ = state.record(Self.ok)
        _ = state.record(Self.ok)
        var lowered = state.retuned(toleratedFailures: 0, requiredSuccesses: 3)
        #expect(lowered.verdict == .degraded && lowered.consecutiveSuccesses == 2)
        #expect(lowered.record(Self.ok) == .degraded)
        var raised = state.retuned(toleratedFailures: 0, requiredSuccesses: 10)
        #expect(raised.record(Self.ok) == nil)
        #expect(raised.requiredSuccesses == 10 && raised.consecutiveSuccesses == 3)
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
