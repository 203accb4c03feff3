// swift-tools-version:6.0
import PackageDescription

// The libFuzzer targets, kept out of the root package: they link only with -sanitize=fuzzer, which would break a
// plain `swift build` there. bench/fuzz.sh builds and runs them (release, -sanitize=fuzzer,address, and
// -enable-testing so that `@testable import` reaches the parsers, which are internal).
let package = Package(
    name: "edgetm-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "edgetm", path: "..")],
    targets: [
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "FuzzQueryParser",
            dependencies: ["CFuzzerDriver", .product(name: "TMWire", package: "edgetm")]
        ),
        .executableTarget(
            name: "FuzzConfigLoader",
            dependencies: ["CFuzzerDriver", .product(name: "TMConfig", package: "edgetm")]
        ),
    ]
)
