import Foundation
import Logging
import PostgresNIO
import PracticeCore
import PracticeStore

/// Where the data lives for this run: DATABASE_URL's server, or the embedded cluster.
enum DatabaseTarget {
    case url(DatabaseURL)
    case embedded(EmbeddedPostgres)

    static func fromEnvironment() throws -> DatabaseTarget {
        let environment = ProcessInfo.processInfo.environment
        if let text = environment["DATABASE_URL"], !text.isEmpty {
            return .url(try DatabaseURL(parsing: text))
        }
        return .embedded(EmbeddedPostgres(dataFolder: EmbeddedPostgres.defaultDataFolder(environment: environment)))
    }

    var url: DatabaseURL {
        switch self {
        case .url(let url): url
        case .embedded(let cluster): cluster.url
        }
    }
}

/// Logs go to stderr at `warning` unless PRACTICE_LOG_LEVEL says otherwise. They carry ids and
/// SQLSTATEs, never names, notes or scores.
let logger: Logger = {
    var logger = Logger(label: "practice") { StreamLogHandler.standardError(label: $0) }
    let level = ProcessInfo.processInfo.environment["PRACTICE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
    logger.logLevel = level ?? .warning
    return logger
}()

enum MigrationPolicy {
    /// Apply pending migrations before running (the embedded database, `demo`).
    case apply
    /// Refuse to run on a schema that is behind (a shared server: someone runs `practice migrate`).
    case require
    /// Touch nothing (`migrate` itself).
    case none
}

/// Opens the database for one command: starts the embedded cluster if needed, creates its
/// database on first use, and checks or applies migrations.
func withDatabase<Result: Sendable>(
    migrations: MigrationPolicy? = nil,
    _ body: @Sendable (PracticeDatabase) async throws -> Result
) async throws -> Result {
    let target = try DatabaseTarget.fromEnvironment()
    var policy = migrations
    if case .embedded(let cluster) = target {
        try cluster.start()
        try await ensureDatabaseExists(cluster)
        policy = policy ?? .apply
    }
    let chosen = policy ?? .require
    return try await PracticeDatabase.withDatabase(url: target.url, logger: logger) { database in
        switch chosen {
        case .apply:
            try await Migrator.migrate(database)
        case .require:
            let pending = try await database.read { try await Migrator.pending(on: $0, logger: logger) }
            if !pending.isEmpty {
                throw PracticeError.database(
                    "the database schema is \(pending.count) migration(s) behind; run `practice migrate` first")
            }
        case .none:
            break
        }
        return try await body(database)
    }
}

/// Runs `body` with the database and the practice the command works on.
func withPractice<Result: Sendable>(
    _ options: PracticeOptions,
    _ body: @Sendable (PracticeDatabase, Practice) async throws -> Result
) async throws -> Result {
    let requested = try options.practiceID
    return try await withDatabase { database in
        let practice = try await database.read { try await Practices.resolve(requested, on: $0, logger: logger) }
        return try await body(database, practice)
    }
}

private func ensureDatabaseExists(_ cluster: EmbeddedPostgres) async throws {
    let name = EmbeddedPostgres.databaseName
    try await PracticeDatabase.withDatabase(url: cluster.url.with(database: "postgres"), logger: logger) { database in
        try await database.read { connection in
            let rows = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger)
            for try await _ in rows.decode(Int.self) { return }
            do {
                try await connection.query("CREATE DATABASE \(unescaped: name)", logger: logger)
            } catch let error as PSQLError where ["42P04", "23505"].contains(error.serverInfo?[.sqlState] ?? "") {
                // Another process created it a moment ago.
            }
        }
    }
}
