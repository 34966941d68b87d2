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

    /// Creates an empty database and returns its URL. With `migrated`, applies every migration.
    public static func create(migrated: Bool = true) async throws -> DatabaseURL {
        let server = try serverURL()
        let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        try await PracticeDatabase.withDatabase(url: server, logger: logger) { database in
            try await database.read { try await $0.query("CREATE DATABASE \(unescaped: String(name))", logger: logger) }
        }
        let url = server.with(database: String(name))
        if migrated {
            try await PracticeDatabase.withDatabase(url: url, logger: logger) { try await Migrator.migrate($0) }
        }
        return url
    }

    /// Runs `body` against a fresh, migrated database.
    public static func withFresh<Result: Sendable>(
        _ body: @Sendable (PracticeDatabase) async throws -> Result
    ) async throws -> Result {
        let url = try await create()
        return try await PracticeDatabase.withDatabase(url: url, logger: logger, body)
    }

    /// The number of rows in each practice table: "nothing was written" is this not changing.
    public static func rowCounts(_ database: PracticeDatabase) async throws -> [String: Int] {
        let tables = ["practices", "staff", "providers", "clients", "screenings", "clearances", "appointment_series",
                      "appointments", "pain_reports", "pressure_feedback", "session_notes", "note_addenda",
                      "referral_letters", "audit_events", "working_hours"]
        var counts: [String: Int] = [:]
        try await database.read { connection in
            for table in tables {
                for try await n in try await connection.query("SELECT count(*)::int FROM \(unescaped: table)", logger: logger)
                    .decode(Int.self) { counts[table] = n }
            }
        }
        return counts
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
