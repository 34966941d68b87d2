// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "MassagePractice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "practice", targets: ["practice"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // Already built for postgres-nio's SCRAM; the migration ledger's SHA-256 uses it too.
        .package(url: "https://github.com/apple/swift-crypto", "3.9.0"..<"5.0.0"),
        // The HTTP face: Hummingbird 2 with its OpenAPI transport, metrics for Prometheus, TLS.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // The plugin's tool turns openapi.yaml into JSON for the server's request validator.
        .package(url: "https://github.com/jpsim/Yams", "5.0.1"..<"7.0.0"),
        // Only the tests use these: HummingbirdTesting builds async-http-client, NIO and NIOSSL anyway.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client", from: "1.5.0"),
    ],
    targets: [
        // Domain values and the evidence rules. No I/O, no dependencies.
        .target(name: "PracticeCore"),

        // Turns the plain-SQL migrations in SQL/ into Swift at build time, so the one
        // `practice` binary carries its schema with it and needs no resource bundle.
        .executableTarget(name: "EmbedSQL", dependencies: [.product(name: "Yams", package: "Yams")], path: "Sources/EmbedSQL"),
        .plugin(name: "EmbedSQLPlugin", capability: .buildTool(), dependencies: ["EmbedSQL"]),

        .target(
            name: "PracticeStore",
            dependencies: [
                "PracticeCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            plugins: ["EmbedSQLPlugin"]
        ),
        // cairo + pango from Debian's libcairo2-dev and libpango1.0-dev, for typeset PDFs.
        .systemLibrary(
            name: "CPangoCairo",
            path: "Sources/CPangoCairo",
            pkgConfig: "pangocairo",
            providers: [.apt(["libcairo2-dev", "libpango1.0-dev"])]
        ),
        .target(
            name: "PracticeReports",
            dependencies: [
                "PracticeCore", "PracticeStore", "CPangoCairo",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The use cases every face calls: one function per thing a person does, each owning its
        // transaction, its clock reading and its actor.
        .target(
            name: "PracticeService",
            dependencies: [
                "PracticeCore", "PracticeStore", "PracticeReports",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The HTTP contract: openapi.yaml, turned into types and a server protocol at build time,
        // so the handlers and the document cannot drift.
        // It holds generated code only; the generator writes `public import Foundation` into files
        // that declare nothing public, which Swift 6 warns about, so that target is built quietly.
        .target(
            name: "PracticeAPI",
            dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")],
            swiftSettings: [.unsafeFlags(["-suppress-warnings"])],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator"), "EmbedSQLPlugin"]
        ),
        // `practice serve`: routes and rendering over the service layer; it decides nothing.
        .target(
            name: "PracticeHTTP",
            dependencies: [
                "PracticeCore", "PracticeStore", "PracticeReports", "PracticeService", "PracticeAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "practice",
            dependencies: [
                "PracticeCore",
                "PracticeStore",
                "PracticeReports",
                "PracticeService",
                "PracticeHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["EmbedSQLPlugin"]
        ),
        // Fresh, migrated databases on the test run's real PostgreSQL server.
        .target(
            name: "PracticeTestSupport",
            dependencies: ["PracticeStore", .product(name: "PostgresNIO", package: "postgres-nio")],
            path: "Tests/PracticeTestSupport"
        ),
        // The same document, generated as a client: the tests drive the server through it.
        .target(
            name: "PracticeAPIClient",
            dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")],
            path: "Tests/PracticeAPIClient",
            swiftSettings: [.unsafeFlags(["-suppress-warnings"])],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        .testTarget(name: "PracticeCoreTests", dependencies: ["PracticeCore"]),
        .testTarget(
            name: "PracticeHTTPTests",
            dependencies: [
                "PracticeCore", "PracticeStore", "PracticeService", "PracticeHTTP", "PracticeAPI", "PracticeAPIClient",
                "PracticeTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "PracticeReportsTests",
            dependencies: ["PracticeCore", "PracticeStore", "PracticeReports", "PracticeService", "PracticeTestSupport"]
        ),
        .testTarget(
            name: "PracticeStoreTests",
            dependencies: ["PracticeCore", "PracticeStore", "PracticeService", "PracticeTestSupport",
                           .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .testTarget(
            name: "PracticeServiceTests",
            dependencies: ["PracticeCore", "PracticeStore", "PracticeService", "PracticeTestSupport",
                           .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .testTarget(
            name: "PracticeCLITests",
            dependencies: ["PracticeCore", "PracticeStore", "PracticeService", "PracticeTestSupport",
                           .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
