/// Where the control socket is: the daemon and `edgetm admin` follow the same rule, so that neither needs a flag
/// in the usual cases.
public enum ControlSocketPath {
    /// systemd's `RuntimeDirectory=edgetm`.
    public static let systemd = "/run/edgetm/control"

    /// For the daemon: `--control`, else `$RUNTIME_DIRECTORY/control` under systemd, else `DIR/.control` beside the
    /// configuration (as the default state file).
    public static func forDaemon(explicit: String?, configDirectory: String, environment: [String: String]) -> String {
        if let explicit { return explicit }
        if let runtime = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first {
            return "\(runtime)/control"
        }
        return "\(configDirectory)/.control"
    }

    /// For `edgetm admin`: `--control`, else `DIR/.control` when `--config DIR` is given, else systemd's.
    public static func forClient(explicit: String?, configDirectory: String?) -> String {
        explicit ?? configDirectory.map { "\($0)/.control" } ?? systemd
    }
}
