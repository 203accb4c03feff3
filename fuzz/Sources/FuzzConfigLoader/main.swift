import CFuzzerDriver
import Foundation

@testable import TMConfig

/// One input: a document read as a profile and as the server file, the two readers of fuzzed text. Syntax errors
/// and validation issues are expected; a crash, a hang or a sanitizer report is the finding.
private func fuzzConfigLoader(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = count == 0 ? Data() : Data(bytes: start!, count: count)
    guard let document = try? JSONValue.parse(data) else { return 0 }
    _ = ProfileReader.read(document, file: "fuzz.json", log: IssueLog())
    _ = ServerConfigReader.read(document, file: "edgetm.json", log: IssueLog())
    return 0
}

var arguments = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&arguments, &argv) { fuzzConfigLoader($0, $1) })
