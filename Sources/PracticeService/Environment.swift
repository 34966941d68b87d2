import Foundation
import Logging
import PostgresNIO
import PracticeCore
import PracticeStore

/// Where the data lives for this run: DATABASE_URL's server, or the embedded cluster.
public enum DatabaseTarget: Sendable {
    case url(DatabaseURL)
    case embedded(EmbeddedPostgres)

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DatabaseTarget {
        if let text = environment["DATABASE_URL"], !text.isEmpty {
            return .url(try DatabaseURL(parsing: text))
        }
        return .embedded(EmbeddedPostgres(dataFolder: EmbeddedPostgres.defaultDataFolder(environment: environment)))
    }

    public var url: DatabaseURL {
        switch self {
        case .url(let url): url
        case .embedded(let cluster): cluster.url
        }
    }
}

public enum MigrationPolicy: Sendable {
    /// Apply pending migrations before running (the embedded database, `demo`).
    case apply
    /// Refuse to run on a schema that is behind (a shared server: someone runs `practice migrate`).
    case require
    /// Touch nothing (`migrate` itself).
    case none
}

extension PracticeService {
    /// Opens the database for one run: starts the embedded cluster if needed, creates its
    /// database on first use, and checks or applies migrations. The embedded default applies
    /// them; a server named by DATABASE_URL must already be migrated.
    public static func withDatabase<Result: Sendable>(
        target: DatabaseTarget, migrations: MigrationPolicy? = nil, logger: Logger,
        _ body: @Sendable (PracticeDatabase) async throws -> Result
    ) async throws -> Result {
        var policy = migrations
        if case .embedded(let cluster) = target {
            try cluster.start()
            try await ensureDatabaseExists(cluster, logger: logger)
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

    /// The service for one run, on an open database.
    public static func withService<Result: Sendable>(
        target: DatabaseTarget, context: ServiceContext, migrations: MigrationPolicy? = nil, logger: Logger,
        _ body: @Sendable (PracticeService) async throws -> Result
    ) async throws -> Result {
        try await withDatabase(target: target, migrations: migrations, logger: logger) { database in
            try await body(PracticeService(database: database, context: context))
        }
    }

    public static func migrate(target: DatabaseTarget, dryRun: Bool, logger: Logger) async throws -> (pending: [String], applied: [String]) {
        try await withDatabase(target: target, migrations: MigrationPolicy.none, logger: logger) { database in
            if dryRun {
                let pending = try await database.read { try await Migrator.pending(on: $0, logger: logger) }
                return (pending.map(\.name), [])
            }
            return ([], try await Migrator.migrate(database).map(\.name))
        }
    }

    static func ensureDatabaseExists(_ cluster: EmbeddedPostgres, logger: Logger) async throws {
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
}
