import Foundation
import TMControl
import TMRouting

#if canImport(Glibc)
import Glibc
#endif

/// The operator's admin state, by profile and endpoint name (so that it outlives reloads and restarts), and its
/// resolution to endpoint ids for the configuration that serves. Owned by the publisher thread.
struct AdminTable {
    private(set) var entries: [AdminEntry] = []

    init(entries: [AdminEntry] = []) { self.entries = entries.sorted(by: Self.order) }

    /// Sets `action` on every endpoint matching both globs; the entries set, or why nothing was.
    mutating func set(
        _ action: AdminAction, profile: String, endpoint: String, until: Date?, reason: String?, by: String,
        in profiles: ProfileSet
    ) -> Result<[AdminEntry], ControlError> {
        let matches: [(Profile, Endpoint)]
        switch Self.match(profile: profile, endpoint: endpoint, in: profiles) {
        case .success(let found): matches = found
        case .failure(let error): return .failure(error)
        }
        let override = AdminOverride(action: action, by: by, reason: reason, until: until)
        let set = matches.map { AdminEntry(profile: $0.0.name, endpoint: $0.1.name, override: override) }
        let replaced = Set(set.map { Self.key($0.profile, $0.endpoint) })
        entries = (entries.filter { !replaced.contains(Self.key($0.profile, $0.endpoint)) } + set).sorted(
            by: Self.order)
        return .success(set)
    }

    /// Removes the entries matching both globs; the entries removed, or an error when none matched.
    mutating func clear(profile: String, endpoint: String) -> Result<[AdminEntry], ControlError> {
        let removed = entries.filter { Self.matches(profile, $0.profile) && Self.matches(endpoint, $0.endpoint) }
        guard !removed.isEmpty else {
            return .failure(ControlError("no admin state matches profile \"\(profile)\" endpoint \"\(endpoint)\""))
        }
        entries.removeAll { Self.matches(profile, $0.profile) && Self.matches(endpoint, $0.endpoint) }
        return .success(removed)
    }

    /// Replaces every entry with `new` (the fleet's); what this set or changed, and what it removed.
    mutating func replace(with new: [AdminEntry]) -> (set: [AdminEntry], cleared: [AdminEntry]) {
        let new = Dictionary(new.map { (Self.key($0.profile, $0.endpoint), $0) }, uniquingKeysWith: { $1 })
        let old = Dictionary(entries.map { (Self.key($0.profile, $0.endpoint), $0) }, uniquingKeysWith: { $1 })
        defer { entries = new.values.sorted(by: Self.order) }
        return (
            new.values.filter { entry in
                !(old[Self.key(entry.profile, entry.endpoint)].map { Self.same($0, entry) } ?? false)
            }
            .sorted(by: Self.order),
            old.values.filter { new[Self.key($0.profile, $0.endpoint)] == nil }.sorted(by: Self.order)
        )
    }

    /// Equal but for the fraction of a millisecond that an end loses on its way through etcd.
    private static func same(_ a: AdminEntry, _ b: AdminEntry) -> Bool {
        let (x, y) = (a.override, b.override)
        let untilMatches =
            switch (x.until, y.until) {
            case (nil, nil): true
            case (let p?, let q?): abs(p.timeIntervalSince(q)) < 0.002
            default: false
            }
        return a.profile == b.profile && a.endpoint == b.endpoint && x.action == y.action && x.by == y.by
            && x.reason == y.reason && untilMatches
    }

    /// Removes and returns the entries whose time is up.
    mutating func expire(at now: Date) -> [AdminEntry] {
        let expired = entries.filter { $0.isExpired(at: now) }
        if !expired.isEmpty { entries.removeAll { $0.isExpired(at: now) } }
        return expired
    }

    /// When the next entry expires; nil when none has an end.
    var nextExpiry: Date? { entries.compactMap(\.override.until).min() }

    /// The overrides by endpoint id for `profiles`, and the entries that name nothing there (left out).
    func resolved(in profiles: ProfileSet) -> (overrides: [Int: AdminOverride], unknown: [AdminEntry]) {
        var overrides: [Int: AdminOverride] = [:]
        var unknown: [AdminEntry] = []
        for entry in entries {
            guard let profile = profiles[entry.profile],
                let endpoint = profile.endpoints.first(where: { $0.name.lowercased() == entry.endpoint.lowercased() })
            else {
                unknown.append(entry)
                continue
            }
            overrides[endpoint.id] = entry.override
        }
        return (overrides, unknown)
    }

    /// Forgets entries that name nothing in the configuration that serves now.
    mutating func remove(_ gone: [AdminEntry]) {
        let keys = Set(gone.map { Self.key($0.profile, $0.endpoint) })
        entries.removeAll { keys.contains(Self.key($0.profile, $0.endpoint)) }
    }

    private static func match(profile: String, endpoint: String, in profiles: ProfileSet)
        -> Result<[(Profile, Endpoint)], ControlError>
    {
        let chosen = profiles.profiles.filter { matches(profile, $0.name) }
        guard !chosen.isEmpty else {
            return .failure(
                ControlError(
                    "unknown profile \"\(profile)\"" + suggestion(profile, among: profiles.profiles.map(\.name))))
        }
        let found = chosen.flatMap { candidate in
            candidate.endpoints.filter { matches(endpoint, $0.name) }.map { (candidate, $0) }
        }
        guard !found.isEmpty else {
            let names = Array(Set(chosen.flatMap { $0.endpoints.map(\.name) })).sorted()
            let within = chosen.count == 1 ? "profile \(chosen[0].name)" : "\(chosen.count) matching profiles"
            return .failure(
                ControlError("unknown endpoint \"\(endpoint)\" in \(within)" + suggestion(endpoint, among: names)))
        }
        return .success(found)
    }

    /// Shell globs as operators type them (`'mec-atlanta*'`), case-insensitive like DNS names.
    static func matches(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern.lowercased(), name.lowercased(), 0) == 0
    }

    /// `; did you mean a, b?` with the closest names by edit distance, or nothing when none is close.
    static func suggestion(_ typed: String, among names: [String]) -> String {
        let typed = typed.lowercased()
        let ranked = names.map { (name: $0, distance: editDistance(typed, $0.lowercased())) }
            .filter { $0.distance <= max(2, typed.count / 2) }
            .sorted { ($0.distance, $0.name) < ($1.distance, $1.name) }
        guard !ranked.isEmpty else { return "" }
        return "; did you mean " + ranked.prefix(3).map(\.name).joined(separator: ", ") + "?"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }

    private static func key(_ profile: String, _ endpoint: String) -> String {
        "\(profile.lowercased())\u{0}\(endpoint.lowercased())"
    }

    private static func order(_ a: AdminEntry, _ b: AdminEntry) -> Bool {
        (a.profile.lowercased(), a.endpoint.lowercased()) < (b.profile.lowercased(), b.endpoint.lowercased())
    }
}
