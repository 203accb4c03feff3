import TMRouting

extension ObjectReader {
    func domainName(_ key: String, required: Bool = false) -> DomainName? {
        guard let text = string(key, required: required) else { return nil }
        if let problem = DomainName.problem(with: text) {
            error(key, "\"\(text)\" is not a valid domain name: it \(problem)")
            return nil
        }
        return DomainName(text)
    }

    func uint32(_ key: String, default defaultValue: UInt32) -> UInt32 {
        integer(key, in: 0...Int64(UInt32.max)).map { UInt32($0) } ?? defaultValue
    }
}
