/// The TTL of an answer of a profile with `dnsConfig.adaptiveTtl` (edgetm extension): the profile's TTL, lowered to
/// the time until probe results could change the answer, so that resolvers ask again when it may change instead of
/// serving a dead endpoint from their cache for a whole TTL. `RoutePlanner` lowers it along the path to each answer:
/// by the answered endpoint's time until it could be Degraded, and by the time until an endpoint that the answer
/// fails over from (at any level of nesting) could be Online again. Those times come from the monitor
/// (`HealthVector.verdictMayChangeIn`) when health changes, so the TTL is prepared with the answer, never per query.
struct AdaptiveTTL: Hashable {
    /// Never below 1 s: a TTL of 0 would keep resolvers from caching at all, and send every client query here.
    static let minimum: UInt32 = 1

    let profileTTL: UInt32
    /// The soonest time, in seconds from when the health vector was made, at which a verdict on the way to the
    /// answer could change; nil while none is in sight.
    private(set) var seconds: Double?

    init(profileTTL: UInt32) { self.profileTTL = profileTTL }

    /// Lowered to `seconds` when those are sooner; unchanged by nil.
    func lowered(to seconds: Double?) -> AdaptiveTTL {
        guard let seconds else { return self }
        var copy = self
        copy.seconds = min(self.seconds ?? seconds, seconds)
        return copy
    }

    /// The TTL to put in the answer, or nil when it is the profile's own. Rounded up to whole seconds: a resolver
    /// that came back just before the change would be handed the same answer again. At least `minimum`, never
    /// above the profile's TTL (a profile TTL of 0 stays 0).
    var ttl: UInt32? {
        guard let seconds else { return nil }
        let lowered = max(Double(Self.minimum), seconds.rounded(.up))
        return lowered < Double(profileTTL) ? UInt32(lowered) : nil
    }
}
