/// What the fleet's vantage points see, as read from etcd: each live instance's verdicts by endpoint name. The
/// instance's own verdicts are not taken from here but from its own monitor, which is never behind.
public struct VantageView: Sendable, Equatable {
    /// Instance → its verdicts (Online or Degraded only).
    public private(set) var verdicts: [String: [EndpointKey: MonitorStatus]]

    /// The live instances (those holding a lease), whether or not they have verdicts yet.
    public private(set) var instances: Set<String>

    /// `verdicts` of instances not in `instances` are left out.
    public init(verdicts: [String: [EndpointKey: MonitorStatus]] = [:], instances: Set<String>? = nil) {
        let live = instances ?? Set(verdicts.keys)
        self.verdicts = verdicts.filter { live.contains($0.key) }
        self.instances = live
    }

    /// Every other instance's verdict on `key`, by instance name.
    public func others(on key: EndpointKey, except own: String) -> [(instance: String, verdict: MonitorStatus)] {
        var found: [(instance: String, verdict: MonitorStatus)] = []
        for (instance, table) in verdicts where instance != own {
            if let verdict = table[key] { found.append((instance, verdict)) }
        }
        return found.sorted { $0.instance < $1.instance }
    }

    /// An instance's verdict on one endpoint (nil, or one still checking: none); the instance is live from now on.
    public mutating func set(_ verdict: MonitorStatus?, of key: EndpointKey, by instance: String) {
        instances.insert(instance)
        if let verdict, verdict.isProbeVerdict, verdict != .checkingEndpoint {
            verdicts[instance, default: [:]][key] = verdict
        } else {
            verdicts[instance]?[key] = nil
        }
    }

    /// An instance that went away (its lease expired or it stopped): none of its verdicts count any more.
    public mutating func remove(instance: String) {
        verdicts[instance] = nil
        instances.remove(instance)
    }

    /// The endpoints whose verdicts differ between the two views, by any instance.
    public func changedKeys(from old: VantageView) -> Set<EndpointKey> {
        var changed = Set<EndpointKey>()
        for instance in Set(verdicts.keys).union(old.verdicts.keys) {
            let new = verdicts[instance] ?? [:]
            let before = old.verdicts[instance] ?? [:]
            if new == before { continue }
            for (key, verdict) in new where before[key] != verdict { changed.insert(key) }
            for key in before.keys where new[key] == nil { changed.insert(key) }
        }
        return changed
    }

    /// The health routing uses: for each endpoint in `ids`, the verdicts of the live vantage points (`own`'s from
    /// its own monitor, the others' from this view) combined by `rule`; the rest of `own` as it is. Pure, so that
    /// every instance that sees the same etcd state computes the same answer.
    public func combined(
        own: HealthVector, ownInstance: String, keys: [EndpointKey], rule: DegradedWhen,
        ids: some Sequence<Int>, into base: HealthVector
    ) -> HealthVector {
        var health = base
        for id in ids where id < keys.count {
            let others = others(on: keys[id], except: ownInstance).map(\.verdict)
            health[id] = others.isEmpty ? own[id] : rule.combine(others + [own[id]])
        }
        health.overrides = own.overrides
        health.verdictMayChangeIn = own.verdictMayChangeIn
        return health
    }
}
