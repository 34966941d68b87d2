import Crypto
import Foundation
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

        /// SHA-256 of the file's text, hex: what the ledger keeps to notice an edited migration.
        public var checksum: String {
            SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
        }
    }

    /// What the ledger says about this binary's migrations.
    public struct LedgerState: Sendable {
        public var pending: [Migration]
        /// Applied versions this binary does not have: a newer `practice` migrated the database.
        public var unknown: [String]
        /// Applied migrations whose text in this binary differs from what was applied.
        public var changed: [Migration]
        /// Applied before checksums were kept; `migrate` records them.
        public var unrecorded: [Migration]
    }

    /// Arbitrary but fixed: "massage" on a phone keypad.
    static let advisoryLockKey: Int64 = 6_277_243

    public static let all: [Migration] = EmbeddedMigrations.all.map { entry in
        let stem = entry.file.hasSuffix(".sql") ? String(entry.file.dropLast(4)) : entry.file
        let digits = stem.prefix(while: \.isNumber)
        guard let version = Int(digits) else { preconditionFailure("migration \(entry.file) does not start with a number") }
        return Migration(version: version, name: String(stem), sql: entry.sql)
    }

    /// Migrations not yet applied, in order, after checking that the ledger can be trusted.
    /// Reads only: no DDL outside the advisory lock, so many processes may ask at once.
    public static func pending(on connection: PostgresConnection, logger: Logger) async throws -> [Migration] {
        let state = try await ledger(on: connection, logger: logger)
        try refuseUntrusted(state)
        return state.pending
    }

    /// Reads the ledger and compares it with this binary's migrations.
    public static func ledger(on connection: PostgresConnection, logger: Logger) async throws -> LedgerState {
        var state = LedgerState(pending: [], unknown: [], changed: [], unrecorded: [])
        var ledgerExists = false
        var hasChecksums = false
        for try await (exists, checksums) in try await connection.query("""
            SELECT to_regclass('public.schema_migrations') IS NOT NULL,
                   -- The catalog, not information_schema: on a new connection that view alone
                   -- costs more than the rest of a short command's queries.
                   EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
                           WHERE attrelid = to_regclass('public.schema_migrations') AND attname = 'checksum'
                             AND NOT attisdropped)
            """, logger: logger).decode((Bool, Bool).self) {
            ledgerExists = exists
            hasChecksums = checksums
        }
        guard ledgerExists else {
            state.pending = all
            return state
        }
        let rows = try await connection.query(
            hasChecksums ? "SELECT version, name, checksum FROM public.schema_migrations ORDER BY version"
                         : "SELECT version, name, NULL::text FROM public.schema_migrations ORDER BY version",
            logger: logger)
        var applied = Set<Int>()
        for try await (version, name, checksum) in rows.decode((Int, String, String?).self) {
            applied.insert(version)
            guard let migration = all.first(where: { $0.version == version }) else {
                state.unknown.append(name)
                continue
            }
            if let checksum {
                if checksum != migration.checksum { state.changed.append(migration) }
            } else {
                state.unrecorded.append(migration)
            }
        }
        state.pending = all.filter { !applied.contains($0.version) }
        return state
    }

    /// A ledger from a newer version, or one whose applied text has changed, stops every command.
    static func refuseUntrusted(_ state: LedgerState) throws {
        if let newest = state.unknown.last {
            throw PracticeError.refused(
                "this database was migrated by a newer version of practice (it has migration \(newest), "
                + "which this version does not know); use that version or newer")
        }
        if !state.changed.isEmpty {
            throw PracticeError.refused(
                "migration \(state.changed.map(\.name).joined(separator: ", ")) was changed after it was applied "
                + "(its SHA-256 differs from the ledger's); refusing to run on a schema this version cannot vouch for")
        }
    }

    /// Applies what is pending and returns what it applied. Safe to call from several processes.
    @discardableResult
    ///
    /// Afterwards it grants the application roles what they need (`public.practice_grant_app`):
    /// `practice_app`, the group every app login belongs to, and any login role named in
    /// `appRoles` (DATABASE_URL's user when the owner migrates). The migrating role itself is
    /// skipped: it owns the tables.
    /// `upTo` stops after that version (a staged upgrade; tests that start from an old schema).
    public static func migrate(_ database: PracticeDatabase, grantingTo appRoles: [String] = [],
                               upTo: Int? = nil) async throws -> [Migration] {
        try await database.read { connection in
            // A session-level lock, held on this one connection across the per-migration transactions.
            try await connection.run("SELECT pg_advisory_lock(\(advisoryLockKey))", logger: database.logger)
            do {
                try await ensureLedger(on: connection, logger: database.logger)
                let state = try await ledger(on: connection, logger: database.logger)
                try refuseUntrusted(state)
                // Applied before the ledger kept checksums: record them now (trust on first use).
                for migration in state.unrecorded {
                    try await connection.query("""
                        UPDATE public.schema_migrations SET checksum = \(migration.checksum) WHERE version = \(migration.version)
                        """, logger: database.logger)
                }
                var done: [Migration] = []
                for migration in state.pending where migration.version <= upTo ?? Int.max {
                    try await apply(migration, on: connection, logger: database.logger)
                    done.append(migration)
                }
                try await grant(to: ["practice_app"] + appRoles, on: connection, logger: database.logger)
                try await connection.run("SELECT pg_advisory_unlock(\(advisoryLockKey))", logger: database.logger)
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
                "INSERT INTO public.schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                logger: logger)
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw PracticeError.database("migration \(migration.name) failed and was rolled back: \(DatabaseErrors.map(error))")
        }
    }

    static func ensureLedger(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS public.schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        try await connection.query(
            "ALTER TABLE public.schema_migrations ADD COLUMN IF NOT EXISTS checksum text", logger: logger)
    }

    static func grant(to roles: [String], on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query("""
            SELECT r.rolname::text FROM pg_catalog.pg_roles AS r
            WHERE r.rolname = ANY(\(roles)) AND r.rolname <> current_user
              AND to_regprocedure('public.practice_grant_app(name)') IS NOT NULL
            """, logger: logger)
        var existing: [String] = []
        for try await role in rows.decode(String.self) where !existing.contains(role) { existing.append(role) }
        for role in existing {
            try await connection.run("SELECT public.practice_grant_app(\(role)::name)", logger: logger)
        }
    }
}
