// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "edgetm",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "edgetm", targets: ["edgetm"]),
        // For the fuzz package in fuzz/ only, which reaches internal API with `@testable import`.
        .library(name: "TMWire", targets: ["TMWire"]),
        .library(name: "TMConfig", targets: ["TMConfig"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    ],
    targets: [
        // C libraries, wrapped thinly: only TMWire imports CLDNS, only TMHealth and TMEtcd the curl targets, only
        // TMGeoIP libmaxminddb.
        .systemLibrary(name: "CLDNS", pkgConfig: "ldns", providers: [.apt(["libldns-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "CCurlShim", dependencies: ["CCurl"]),
        .target(name: "CSocketShim"),
        .systemLibrary(name: "CMaxMindDB", pkgConfig: "libmaxminddb", providers: [.apt(["libmaxminddb-dev"])]),

        .target(name: "TMRouting"),
        // Thin system wrappers every threaded module shares: the monotonic clock, named threads, socket addresses.
        .target(name: "TMSystem", dependencies: ["TMRouting", "CSocketShim"]),
        .target(name: "TMGeoIP", dependencies: ["TMRouting", "TMSystem", "CMaxMindDB"]),
        .target(name: "TMConfig", dependencies: ["TMRouting", "TMSystem", "TMGeoIP"]),
        .target(name: "TMWire", dependencies: ["TMRouting", "CLDNS"]),
        .target(
            name: "TMHealth",
            dependencies: [
                "TMRouting", "TMSystem", "CCurl", "CCurlShim", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A blocking etcd v3 client over etcd's JSON gateway, on libcurl easy handles.
        .target(name: "TMEtcd", dependencies: ["TMSystem", "CCurl", "CCurlShim"]),
        .target(name: "TMStatus", dependencies: ["TMRouting", "TMHealth"]),
        // A server's part in a fleet: the etcd mirror, the lease, the verdicts and admin state it writes.
        .target(
            name: "TMFleet",
            dependencies: [
                "TMEtcd", "TMConfig", "TMControl", "TMRouting", "TMSystem",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The control socket's messages and client, shared by the daemon and `edgetm admin`.
        .target(name: "TMControl", dependencies: ["TMRouting"]),
        // The HTTP interface (metrics, health): the only importer of Hummingbird and swift-nio.
        .target(
            name: "TMHTTP",
            dependencies: [
                "TMRouting", "TMSystem", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "TMDaemon",
            dependencies: [
                "TMRouting", "TMConfig", "TMWire", "TMHealth", "TMStatus", "TMSystem", "TMControl", "TMHTTP",
                "TMFleet", "CSocketShim",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "edgetm",
            dependencies: [
                "TMDaemon", "TMConfig", "TMControl", "TMFleet", "TMEtcd", "TMSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "TMRoutingTests", dependencies: ["TMRouting"]),
        .testTarget(name: "TMConfigTests", dependencies: ["TMConfig", "TMRouting"]),
        .testTarget(name: "TMGeoIPTests", dependencies: ["TMGeoIP", "TMRouting"]),
        .testTarget(name: "TMStatusTests", dependencies: ["TMStatus", "TMRouting", "TMHealth"]),
        // Helpers several test targets share (loopback ports, polling); not part of the product.
        .target(name: "TMTestSupport", path: "Tests/TMTestSupport"),
        .testTarget(name: "TMHealthTests", dependencies: ["TMHealth", "TMRouting", "TMTestSupport"]),
        .testTarget(name: "TMEtcdTests", dependencies: ["TMEtcd", "TMTestSupport"]),
        .testTarget(name: "TMSystemTests", dependencies: ["TMSystem"]),
        .testTarget(name: "TMFleetTests", dependencies: ["TMFleet", "TMEtcd", "TMRouting", "TMControl"]),
        .testTarget(name: "TMWireTests", dependencies: ["TMWire", "TMRouting", "CLDNS"]),
        .testTarget(name: "EndToEndTests", dependencies: []),
    ]
)
