import TMSystem

/// A listener's endless loop, run on a thread of its own.
protocol ListenerLoop: AnyObject, Sendable {
    func run()
}

extension ListenerLoop {
    func start(name: String) { startNamedThread(name) { [self] in run() } }
}
