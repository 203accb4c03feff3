/// Values by domain name, looked up straight from a question's wire bytes in any letter case, without copying or
/// allocating: the query path's one name lookup. Built once per answer table; immutable.
///
/// Open addressing over one array of slots, at most half full, so a miss ends at an empty slot after a probe or two.
/// The names (lowercase wire form) live in one byte array. The hash has no per-process seed: the table is fixed by
/// the configuration, so crafted query names can only miss, never lengthen a chain.
struct NameIndex<Value: Sendable>: Sendable {
    private struct Entry: Sendable {
        let hash: UInt32
        let start: Int32
        let length: Int32
    }

    private let names: [UInt8]
    private let entries: [Entry]
    private let values: [Value]
    /// Index into `entries`, or -1 for empty.
    private let slots: [Int32]
    private let mask: Int

    /// `pairs` keyed by lowercase uncompressed wire name; a repeated name keeps its first value.
    init(_ pairs: some Sequence<([UInt8], Value)>) {
        var names: [UInt8] = []
        var entries: [Entry] = []
        var values: [Value] = []
        var capacity = 8
        let list = Array(pairs)
        while capacity < list.count * 2 { capacity *= 2 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for (name, value) in list {
            let hash = name.withUnsafeBytes { WireName.hash($0) }
            var slot = Int(hash) & mask
            var duplicate = false
            while slots[slot] >= 0 {
                let entry = entries[Int(slots[slot])]
                if entry.hash == hash, names[Int(entry.start)..<Int(entry.start + entry.length)].elementsEqual(name) {
                    duplicate = true
                    break
                }
                slot = (slot + 1) & mask
            }
            if duplicate { continue }
            slots[slot] = Int32(entries.count)
            entries.append(Entry(hash: hash, start: Int32(names.count), length: Int32(name.count)))
            names += name
            values.append(value)
        }
        self.names = names
        self.entries = entries
        self.values = values
        self.slots = slots
        self.mask = mask
    }

    private init(names: [UInt8], entries: [Entry], values: [Value], slots: [Int32], mask: Int) {
        self.names = names
        self.entries = entries
        self.values = values
        self.slots = slots
        self.mask = mask
    }

    var isEmpty: Bool { entries.isEmpty }

    /// Where `name` (lowercase wire form) keeps its value, for `replacingValues`.
    func position(of name: [UInt8]) -> Int? {
        let hash = name.withUnsafeBytes { WireName.hash($0) }
        var slot = Int(hash) & mask
        while slots[slot] >= 0 {
            let index = Int(slots[slot])
            let entry = entries[index]
            if entry.hash == hash, names[Int(entry.start)..<Int(entry.start + entry.length)].elementsEqual(name) {
                return index
            }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// The same names with some values replaced: the names, hashes and slots are shared, not built again.
    func replacingValues(_ replacements: [(position: Int, value: Value)]) -> NameIndex {
        var values = values
        for (position, value) in replacements { values[position] = value }
        return NameIndex(names: names, entries: entries, values: values, slots: slots, mask: mask)
    }

    /// The value for `name` (uncompressed wire form, any case).
    subscript(name: UnsafeRawBufferPointer) -> Value? {
        let hash = WireName.hash(name)
        var slot = Int(hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            entries.withUnsafeBufferPointer { entries in
                names.withUnsafeBytes { names in
                    while true {
                        let index = Int(slots[slot])
                        if index < 0 { return nil }
                        let entry = entries[index]
                        if entry.hash == hash,
                            WireName.equal(
                                name,
                                UnsafeRawBufferPointer(
                                    rebasing: names[Int(entry.start)..<Int(entry.start + entry.length)]))
                        {
                            return values[index]
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    subscript(name: [UInt8]) -> Value? { name.withUnsafeBytes { self[$0] } }
}

/// Case-insensitive handling of uncompressed wire-form names: ASCII letters fold, other bytes compare as they are
/// (RFC 4343). Length bytes are below 64, so never letters.
enum WireName {
    @inline(__always)
    static func fold(_ byte: UInt8) -> UInt8 { byte &- 0x41 < 26 ? byte | 0x20 : byte }

    /// FNV-1a over the folded bytes.
    static func hash(_ name: UnsafeRawBufferPointer) -> UInt32 {
        var hash: UInt32 = 0x811c_9dc5
        for byte in name { hash = (hash ^ UInt32(fold(byte))) &* 0x0100_0193 }
        return hash
    }

    /// `name` (any case) equals `key` (lowercase).
    static func equal(_ name: UnsafeRawBufferPointer, _ key: UnsafeRawBufferPointer) -> Bool {
        guard name.count == key.count else { return false }
        for index in 0..<name.count where fold(name[index]) != key[index] { return false }
        return true
    }

    /// Whether `name` (any case) equals `suffix` (lowercase) or ends with it at a label boundary.
    static func isName(_ name: UnsafeRawBufferPointer, below suffix: [UInt8]) -> Bool {
        var offset = 0
        while offset < name.count {
            let rest = name.count - offset
            if rest == suffix.count {
                return suffix.withUnsafeBytes { equal(UnsafeRawBufferPointer(rebasing: name[offset...]), $0) }
            }
            if rest < suffix.count { return false }
            offset += Int(name[offset]) + 1
        }
        return false
    }
}
