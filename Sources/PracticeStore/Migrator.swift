import Logging
import PostgresNIO
import PracticeCore

/// Applies the numbered migrations in `SQL/` (embedded at build time) in order, each in its own
/// transaction, under an advisory lock so that two processes starting at once apply each once.
public enum Migrator {
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    /// Arbitrary but fixed: "massage" on a phone keypad.
    static let advisoryLockKey: Int64 = 6_277_243

    public static let all: [Migration] = EmbeddedMigrations.all.map { entry in
        let stem = entry.file.hasSuffix(".sql") ? String(entry.file.dropLast(4)) : entry.file
        let digits = stem.prefix(while: \.isNumber)
        guard let version = Int(digits) else { preconditionFailure("migration \(entry.file) does not start with a number") }
        return Migration(version: version, name: String(stem), sql: entry.sql)
    }

    /// Migrations not yet applied, in order.
    /// Reads only: no DDL outside the advisory lock, so many processes may ask at once.
    public static func pending(on connection: PostgresConnection, logger: Logger) async throws -> [Migration] {
        var ledgerExists = false
        for try await exists in try await connection.query(
            "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger).decode(Bool.self) {
            ledgerExists = exists
        }
        guard ledgerExists else { return all }
        let applied = try await appliedVersions(on: connection, logger: logger)
        return all.filter { !applied.contains($0.version) }
    }

    /// Applies what is pending and returns what it applied. Safe to call from several processes.
    @discardableResult
    public static func migrate(_ database: PracticeDatabase) async throws -> [Migration] {
        try await database.read { connection in
            // A session-level lock, held on this one connection across the per-migration transactions.
            try await connection.query("SELECT pg_advisory_lock(\(advisoryLockKey))", logger: database.logger)
            do {
                try await ensureLedger(on: connection, logger: database.logger)
                let applied = try await appliedVersions(on: connection, logger: database.logger)
                var done: [Migration] = []
                for migration in all where !applied.contains(migration.version) {
                    try await apply(migration, on: connection, logger: database.logger)
                    done.append(migration)
                }
                try await connection.query("SELECT pg_advisory_unlock(\(advisoryLockKey))", logger: database.logger)
                return done
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(advisoryLockKey))", logger: database.logger)
                throw error
            }
        }
    }

    static func apply(_ migration: Migration, on connection: PostgresConnection, logger: Logger) async throws {
        logger.info("applying migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
        try await connection.query("BEGIN", logger: logger)
        do {
            // The extended protocol runs one statement per query, and a migration is many.
            // PL/pgSQL's EXECUTE runs a whole script, so the file goes in as a bound parameter.
            try await connection.query(
                "SELECT set_config('practice.migration_sql', \(migration.sql), true)", logger: logger)
            try await connection.query(
                "DO $$ BEGIN EXECUTE current_setting('practice.migration_sql'); END $$", logger: logger)
            try await connection.query(
                "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                logger: logger)
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw PracticeError.database("migration \(migration.name) failed and was rolled back: \(DatabaseErrors.map(error))")
        }
    }

    static func ensureLedger(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
    }

    static func appliedVersions(on connection: PostgresConnection, logger: Logger) async throws -> Set<Int> {
        var versions = Set<Int>()
        for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger)
            .decode(Int.self) {
            versions.insert(version)
        }
        return versions
    }
}
