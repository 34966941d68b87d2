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
    ],
    targets: [
        // Domain values and the evidence rules. No I/O, no dependencies.
        .target(name: "PracticeCore"),

        // Turns the plain-SQL migrations in SQL/ into Swift at build time, so the one
        // `practice` binary carries its schema with it and needs no resource bundle.
        .executableTarget(name: "EmbedSQL", path: "Sources/EmbedSQL"),
        .plugin(name: "EmbedSQLPlugin", capability: .buildTool(), dependencies: ["EmbedSQL"]),

        .target(
            name: "PracticeStore",
            dependencies: [
                "PracticeCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
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
        .executableTarget(
            name: "practice",
            dependencies: [
                "PracticeCore",
                "PracticeStore",
                "PracticeReports",
                "PracticeService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Fresh, migrated databases on the test run's real PostgreSQL server.
        .target(
            name: "PracticeTestSupport",
            dependencies: ["PracticeStore", .product(name: "PostgresNIO", package: "postgres-nio")],
            path: "Tests/PracticeTestSupport"
        ),
        .testTarget(name: "PracticeCoreTests", dependencies: ["PracticeCore"]),
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
