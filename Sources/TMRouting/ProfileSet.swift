/// Every profile of a configuration, findable by name and by endpoint id, with who nests whom: what the planner
/// follows nested endpoints with, and what tells which profiles a health change touches.
public struct ProfileSet: Sendable {
    public let profiles: [Profile]
    private let indexByName: [String: Int]
    private let indexByFQDN: [DomainName: Int]
    /// By `Endpoint.id`: the profile holding it and its position in that profile's endpoints.
    private let owners: [(profile: Int, position: Int)]
    /// By profile index: the profiles with a nested endpoint whose child it is.
    public let parents: [[Int]]

    public init(_ profiles: [Profile]) {
        self.profiles = profiles
        indexByName = Dictionary(
            profiles.enumerated().map { ($1.name.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
        indexByFQDN = Dictionary(profiles.enumerated().map { ($1.fqdn, $0) }, uniquingKeysWith: { first, _ in first })
        var owners: [(profile: Int, position: Int)] = []
        var parents = [[Int]](repeating: [], count: profiles.count)
        for (index, profile) in profiles.enumerated() {
            for (position, endpoint) in profile.endpoints.enumerated() {
                if endpoint.id >= owners.count {
                    owners += Array(repeating: (-1, -1), count: endpoint.id - owners.count + 1)
                }
                owners[endpoint.id] = (index, position)
                if let nested = endpoint.nested, let child = indexByName[nested.profile.lowercased()],
                    !parents[child].contains(index)
                {
                    parents[child].append(index)
                }
            }
        }
        self.owners = owners
        self.parents = parents
    }

    public var count: Int { profiles.count }

    public subscript(index: Int) -> Profile { profiles[index] }

    public func index(named name: String) -> Int? { indexByName[name.lowercased()] }

    public subscript(name: String) -> Profile? { index(named: name).map { profiles[$0] } }

    /// The profile answering at `fqdn`.
    public func index(answeringAt fqdn: DomainName) -> Int? { indexByFQDN[fqdn] }

    /// The profile index holding endpoint `id`, or nil for an id this configuration does not have.
    public func owner(ofEndpoint id: Int) -> Int? {
        id >= 0 && id < owners.count && owners[id].profile >= 0 ? owners[id].profile : nil
    }

    /// Endpoint `id` and its profile.
    public func endpoint(_ id: Int) -> (profile: Profile, endpoint: Endpoint)? {
        guard let owner = owner(ofEndpoint: id) else { return nil }
        return (profiles[owner], profiles[owner].endpoints[owners[id].position])
    }

    /// The profile and every profile its nested endpoints lead to, at any depth: whose health its answers depend on.
    public func reachable(from start: Int) -> Set<Int> {
        var reached = Set<Int>()
        var pending = [start]
        while let next = pending.popLast() {
            guard reached.insert(next).inserted else { continue }
            pending += profiles[next].endpoints.compactMap { $0.nested.flatMap { index(named: $0.profile) } }
        }
        return reached
    }

    /// The profiles holding these endpoints and every profile that nests them, at any depth.
    public func affected(byEndpoints ids: some Sequence<Int>) -> Set<Int> {
        var affected = Set<Int>()
        var pending = ids.compactMap { owner(ofEndpoint: $0) }
        while let index = pending.popLast() {
            guard affected.insert(index).inserted else { continue }
            pending += parents[index]
        }
        return affected
    }
}
