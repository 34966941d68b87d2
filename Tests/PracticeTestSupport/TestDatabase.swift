import Foundation
import Logging
import PostgresNIO
import PracticeStore

/// Each test gets its own database, created on the run's real PostgreSQL server and migrated by
/// the production migrator, so tests run in parallel without seeing each other.
///
/// `scripts/test.sh` starts the server and sets PRACTICE_TEST_DATABASE_URL (its `postgres` database).
public enum TestDatabase {
    public static let logger: Logger = {
        var logger = Logger(label: "practice-tests")
        logger.logLevel = .error
        return logger
    }()

    public static func serverURL() throws -> DatabaseURL {
        guard let text = ProcessInfo.processInfo.environment["PRACTICE_TEST_DATABASE_URL"], !text.isEmpty else {
            throw TestSetupError("PRACTICE_TEST_DATABASE_URL is not set: run the tests with scripts/test.sh")
        }
        return try DatabaseURL(parsing: text)
    }

    /// The login role the application uses (a member of practice_app, owning nothing).
    public static var appUser: String {
        ProcessInfo.processInfo.environment["PRACTICE_TEST_APP_USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "practice_user"
    }

    /// Creates an empty database, owned by the owner role, and returns the URL the application
    /// uses for it (the app role). With `migrated`, applies every migration as the owner.
    public static func create(migrated: Bool = true) async throws -> DatabaseURL {
        let server = try serverURL()
        let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        try await PracticeDatabase.withDatabase(url: server, logger: logger) { database in
            try await database.read { try await $0.query("CREATE DATABASE \(unescaped: String(name))", logger: logger) }
        }
        let owner = server.with(database: String(name))
        if migrated {
            try await PracticeDatabase.withDatabase(url: owner, logger: logger) { try await Migrator.migrate($0, grantingTo: [appUser]) }
        }
        var app = owner
        app.user = appUser
        return app
    }

    /// The owner role's URL for a test database: what `practice migrate` uses.
    public static func owner(of url: DatabaseURL) throws -> DatabaseURL {
        var owner = url
        owner.user = try serverURL().user
        return owner
    }

    /// Runs `body` against a fresh, migrated database, connected as the app role. Store calls in
    /// tests act as "test"; `TestPractice.create` scopes the connection to its practice.
    public static func withFresh<Result: Sendable>(
        _ body: @Sendable (PracticeDatabase) async throws -> Result
    ) async throws -> Result {
        let url = try await create()
        return try await PracticeDatabase.withDatabase(url: url, logger: logger) { database in
            database.scope.set(actor: "test")
            return try await body(database)
        }
    }

    /// Scopes the test's store calls to the database's first practice (e.g. the demo's), as the
    /// service does in every transaction: row-level security shows nothing without it.
    public static func scopeToFirstPractice(_ database: PracticeDatabase) async throws {
        let id = try await database.client.withConnection { connection in
            try await connection.query("SELECT min(id) FROM practices", logger: logger).decode(Int64?.self)
                .reduce(into: Int64?.none) { $0 = $1 }
        }
        database.scope.set(practiceID: id)
        if database.scope.actor == nil { database.scope.set(actor: "test") }
    }

    /// The number of rows in each practice table: "nothing was written" is this not changing.
    public static func rowCounts(_ database: PracticeDatabase) async throws -> [String: Int] {
        let tables = ["practices", "staff", "providers", "clients", "screenings", "clearances", "appointment_series",
                      "appointments", "pain_reports", "pressure_feedback", "session_notes", "note_addenda",
                      "referral_letters", "audit_events", "working_hours", "staff_tokens", "idempotency_keys"]
        // Row-level security shows one practice at a time: count each practice's rows and add them up.
        var counts: [String: Int] = Dictionary(uniqueKeysWithValues: tables.map { ($0, 0) })
        let practices = try await database.client.withConnection { connection in
            try await connection.query("SELECT id FROM practices", logger: logger).decode(Int64.self).reduce(into: [Int64]()) { $0.append($1) }
        }
        counts["practices"] = practices.count
        for practice in practices {
            try await database.client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT set_config('practice.practice_id', \(String(practice)), true)", logger: logger)
                for table in tables where table != "practices" {
                    for try await n in try await connection.query("SELECT count(*)::int FROM \(unescaped: table)", logger: logger)
                        .decode(Int.self) { counts[table, default: 0] += n }
                }
            }
        }
        return counts
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
