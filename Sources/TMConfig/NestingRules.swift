/// Nested endpoints across files: the child must exist, no loops, at most 10 profiles in a chain (the top one
/// included).
enum NestingRules {
    static let maxChain = 10

    static func check(_ drafts: [ProfileDraft], log: IssueLog) {
        let byName = Dictionary(drafts.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
        for draft in drafts {
            for endpoint in draft.endpoints {
                guard let nested = endpoint.nested else { continue }
                let path = "\(endpoint.propertiesPath).target"
                guard let child = byName[nested.profile.lowercased()] else {
                    log.error(draft.file, path, "no profile is named \"\(nested.profile)\"")
                    continue
                }
                if draft.method == .multiValue { continue }
                switch walk(from: child, chain: [draft.name.lowercased()], byName: byName) {
                case .loop(let names):
                    log.error(draft.file, path, "nesting loop: \(([draft.name] + names).joined(separator: " -> "))")
                case .tooDeep(let names):
                    log.error(
                        draft.file, path,
                        "a chain of nested profiles may hold at most \(maxChain) profiles: "
                            + ([draft.name] + names).joined(separator: " -> "))
                case .fine:
                    break
                }
            }
        }
    }

    private enum Walk {
        case fine
        case loop([String])
        case tooDeep([String])
    }

    /// Depth-first over the child's nested endpoints; `chain` holds the lowercased names above `profile`.
    private static func walk(
        from profile: ProfileDraft, chain: [String], byName: [String: ProfileDraft],
        names: [String] = []
    ) -> Walk {
        let names = names + [profile.name]
        if chain.contains(profile.name.lowercased()) { return .loop(names) }
        if chain.count + 1 > maxChain { return .tooDeep(names) }
        for endpoint in profile.endpoints {
            guard let nested = endpoint.nested, let child = byName[nested.profile.lowercased()] else { continue }
            let result = walk(from: child, chain: chain + [profile.name.lowercased()], byName: byName, names: names)
            if case .fine = result { continue }
            return result
        }
        return .fine
    }
}
