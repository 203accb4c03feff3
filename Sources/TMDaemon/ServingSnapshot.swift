import TMConfig
import TMRouting
import TMWire

/// What the server answers from at one moment: the configuration, the routing built from it and one health
/// vector, and the answers prepared from both. A class, so that handing it to a listener thread costs one
/// reference count, not one per field.
public final class ServingSnapshot: Sendable {
    public let configuration: Configuration
    public let routing: RoutingTable
    public let table: AnswerTable
    /// The SOA serial of `table`.
    public let serial: UInt32
    /// Endpoint names by id, for counts that must survive reloads: made once per configuration and shared by every
    /// snapshot of it.
    let endpointKeys: [EndpointKey]
    /// What server cookies are made and checked with; nil when cookies are off.
    let cookies: CookieSecrets?

    init(
        configuration: Configuration, routing: RoutingTable, table: AnswerTable, serial: UInt32,
        endpointKeys: [EndpointKey], cookies: CookieSecrets?
    ) {
        self.configuration = configuration
        self.routing = routing
        self.table = table
        self.serial = serial
        self.endpointKeys = endpointKeys
        self.cookies = cookies
    }

    static func endpointKeys(of configuration: Configuration) -> [EndpointKey] {
        configuration.profiles.flatMap { profile in
            profile.endpoints.sorted { $0.id < $1.id }.map { EndpointKey(profile: profile.name, endpoint: $0.name) }
        }
    }
}
