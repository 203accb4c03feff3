/// A command's refusal, with the reason: ArgumentParser prints it as `Error: message` with exit status 1
/// (`edgetm admin` prints it as `edgetm admin: message`).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
