/// Response rate limiting as configured (`rateLimit` in edgetm.json): how many identical responses per second one
/// client network gets over UDP before they are dropped or sent truncated.
public struct RateLimit: Sendable, Equatable {
    public let responsesPerSecond: Int
    /// Of the responses over the rate, every `slip`-th is sent truncated (TC), the others dropped; 0 drops all.
    public let slip: Int
    /// Seconds over which a flood is remembered: a network keeps being limited until its rate has been under the
    /// limit for this long.
    public let window: Int
    /// Clients are counted by network, since a forged-source flood rarely repeats one address.
    public let ipv4PrefixLength: Int
    public let ipv6PrefixLength: Int
    /// Networks never limited.
    public let exempt: [IPNetwork]

    public init(
        responsesPerSecond: Int, slip: Int, window: Int, ipv4PrefixLength: Int, ipv6PrefixLength: Int,
        exempt: [IPNetwork]
    ) {
        self.responsesPerSecond = responsesPerSecond
        self.slip = slip
        self.window = window
        self.ipv4PrefixLength = ipv4PrefixLength
        self.ipv6PrefixLength = ipv6PrefixLength
        self.exempt = exempt
    }
}
