/// Every profile's route at one moment, built from the profiles and one health vector. A health change plans
/// again only the profiles that hold a changed endpoint and the profiles that nest them.
public struct RoutingTable: Sendable {
    public let profiles: ProfileSet
    public let health: HealthVector
    /// By profile index.
    public let routes: [ProfileRoute]

    public init(profiles: ProfileSet, health: HealthVector) {
        var planner = RoutePlanner(profiles: profiles, health: health)
        self.profiles = profiles
        self.health = health
        routes = profiles.profiles.indices.map { planner.route($0) }
    }

    private init(profiles: ProfileSet, health: HealthVector, routes: [ProfileRoute]) {
        self.profiles = profiles
        self.health = health
        self.routes = routes
    }

    /// The table for `health`, where only `endpoints` changed verdict since this one; also the profiles whose
    /// route changed, in index order.
    public func updating(health: HealthVector, endpoints: some Sequence<Int>) -> (table: RoutingTable, changed: [Int]) {
        let affected = profiles.affected(byEndpoints: endpoints)
        var known: [Int: [MonitorStatus]] = [:]
        for index in routes.indices where !affected.contains(index) { known[index] = routes[index].statuses }
        var planner = RoutePlanner(profiles: profiles, health: health, knownStatuses: known)
        var routes = routes
        var changed: [Int] = []
        for index in affected.sorted() {
            let route = planner.route(index)
            if route != routes[index] {
                routes[index] = route
                changed.append(index)
            }
        }
        return (RoutingTable(profiles: profiles, health: health, routes: routes), changed)
    }

    public subscript(profile index: Int) -> ProfileRoute { routes[index] }
}
