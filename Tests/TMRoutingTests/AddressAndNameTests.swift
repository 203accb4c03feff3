import TMRouting
import Testing

struct AddressAndNameTests {
    @Test(arguments: [
        ("127.0.0.11", "127.0.0.11"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
    ])
    func ipv4RoundTrips(_ text: String, _ printed: String) {
        #expect(IPv4Address(text)?.description == printed)
    }

    @Test(arguments: ["256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "a.b.c.d", "", "1..2.3"])
    func ipv4Rejects(_ text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test(arguments: [
        ("::1", "::1"), ("2001:db8::10", "2001:db8::10"), ("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("::", "::"), ("::ffff:192.0.2.1", "::ffff:c000:201"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("fe80::", "fe80::"),
    ])
    func ipv6RoundTrips(_ text: String, _ printed: String) {
        #expect(IPv6Address(text)?.description == printed)
    }

    @Test(arguments: ["1:2:3:4:5:6:7:8:9", ":::", "1::2::3", "12345::", "g::1", "", "1:2:3:4:5:6:7", "fe80::1%eth0"])
    func ipv6Rejects(_ text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test func targetsAreReadAsAddressesFirst() {
        #expect(EndpointTarget("127.0.0.11") == .ipv4(IPv4Address("127.0.0.11")!))
        #expect(EndpointTarget("2001:db8::1") == .ipv6(IPv6Address("2001:db8::1")!))
        #expect(EndpointTarget("Origin.Example.NET") == .name(DomainName("origin.example.net.")!))
        #expect(EndpointTarget("bad name") == nil)
    }

    @Test func namesCompareWithoutCaseAndKeepIt() {
        let name = DomainName("App.TM.example")!
        #expect(name == DomainName("app.tm.example.")!)
        #expect(name.description == "App.TM.example.")
        #expect(name.isSubdomain(of: DomainName("tm.example")!))
        #expect(!DomainName("xtm.example")!.isSubdomain(of: DomainName("tm.example")!))
        #expect(DomainName.problem(with: String(repeating: "a", count: 64) + ".example") != nil)
        #expect(DomainName.problem(with: Array(repeating: "abcdefghi", count: 26).joined(separator: ".")) != nil)
    }
}
