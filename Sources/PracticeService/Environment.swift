import Foundation
import Logging
import PostgresNIO
import PracticeCore
import PracticeStore

/// Where the data lives for this run: DATABASE_URL's server, or the embedded cluster.
///
/// Two roles: the app's login role, which every command uses, and the schema's owner, which
/// only `practice migrate` uses (PRACTICE_OWNER_URL; without it, DATABASE_URL).
public enum DatabaseTarget: Sendable {
    case url(DatabaseURL, owner: DatabaseURL?)
    case embedded(EmbeddedPostgres)

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DatabaseTarget {
        if let text = environment["DATABASE_URL"], !text.isEmpty {
            let owner = try environment["PRACTICE_OWNER_URL"].flatMap { $0.isEmpty ? nil : $0 }
                .map { text throws(PracticeError) in try DatabaseURL(parsing: text, field: "PRACTICE_OWNER_URL") }
            return .url(try DatabaseURL(parsing: text), owner: owner)
        }
        return .embedded(EmbeddedPostgres(dataFolder: EmbeddedPostgres.defaultDataFolder(environment: environment)))
    }

    /// The app's login role.
    public var url: DatabaseURL {
        switch self {
        case .url(let url, _): url
        case .embedded(let cluster): cluster.url
        }
    }

    /// The schema's owner, for migrations.
    public var ownerURL: DatabaseURL {
        switch self {
        case .url(let url, let owner): owner ?? url
        case .embedded(let cluster): cluster.ownerURL
        }
    }

    /// The role `practice backup` reads with: one that row-level security does not hide rows from
    /// (PRACTICE_BACKUP_URL on a hosted server; the embedded cluster's practice_backup role).
    public func backupURL(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DatabaseURL {
        switch self {
        case .embedded(let cluster):
            return cluster.backupURL
        case .url:
            guard let text = environment["PRACTICE_BACKUP_URL"], !text.isEmpty else {
                throw PracticeError.invalid(
                    field: "PRACTICE_BACKUP_URL",
                    reason: "required with DATABASE_URL: a role with BYPASSRLS (row-level security would hide rows from a dump) "
                        + "and SELECT on every table, e.g. CREATE ROLE practice_backup LOGIN BYPASSRLS IN ROLE pg_read_all_data")
            }
            return try DatabaseURL(parsing: text, field: "PRACTICE_BACKUP_URL")
        }
    }

    /// DATABASE_READ_URL: a read replica for the check, reports and read-only API routes. Writes
    /// always go to `url`.
    public static func readURL(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DatabaseURL? {
        guard let text = environment["DATABASE_READ_URL"], !text.isEmpty else { return nil }
        return try DatabaseURL(parsing: text, field: "DATABASE_READ_URL")
    }
}

public enum MigrationPolicy: Sendable {
    /// Apply pending migrations before running (the embedded database, `demo`), as the owner.
    case apply
    /// Refuse to run on a schema that is behind (a shared server: someone runs `practice migrate`).
    case require
    /// Touch nothing (`migrate` itself).
    case none
}

/// Whether this run may work on a connection that the database's guarantees do not bind.
public struct ConnectionPolicy: Sendable {
    /// PRACTICE_ALLOW_SUPERUSER=1: a single-user laptop that connects as a superuser on purpose.
    public var allowSuperuser: Bool
    /// Told once per command when the connection is a superuser's and that is allowed.
    public var warn: @Sendable (String) -> Void
    /// Called when a connection does not arrive within `PracticeDatabase.connectDeadline`: the
    /// server is unreachable or went away mid-command. The command line exits there (69).
    public var stalled: (@Sendable (Duration) -> Void)?

    public init(allowSuperuser: Bool = false, warn: @escaping @Sendable (String) -> Void = { _ in },
                stalled: (@Sendable (Duration) -> Void)? = nil) {
        self.allowSuperuser = allowSuperuser
        self.warn = warn
        self.stalled = stalled
    }

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       warn: @escaping @Sendable (String) -> Void,
                                       stalled: (@Sendable (Duration) -> Void)? = nil) -> ConnectionPolicy {
        ConnectionPolicy(allowSuperuser: environment["PRACTICE_ALLOW_SUPERUSER"] == "1", warn: warn, stalled: stalled)
    }
}

extension PracticeService {
    /// Opens the database for one run as the app's login role: starts the embedded cluster if
    /// needed, applies or checks migrations (applying them as the owner), and refuses a
    /// superuser or BYPASSRLS connection, which no trigger or policy binds.
    public static func withDatabase<Result: Sendable>(
        target: DatabaseTarget, migrations: MigrationPolicy? = nil, connection: ConnectionPolicy = ConnectionPolicy(),
        logger: Logger, _ body: @Sendable (PracticeDatabase) async throws -> Result
    ) async throws -> Result {
        var policy = migrations
        if case .embedded(let cluster) = target {
            // The database is made with the cluster; a server this command had to start (first
            // use, a converted older cluster) is checked for it too. A running one is not: that
            // check is a second connection, a fifth of a short command's time.
            if try cluster.start() {
                try await ensureDatabaseExists(cluster, logger: logger, stalled: connection.stalled)
            }
            policy = policy ?? .apply
        }
        let chosen = policy ?? .require
        return try await PracticeDatabase.withDatabase(url: target.url, logger: logger, stalled: connection.stalled) { database in
            switch chosen {
            case .apply:
                let pending = try await database.read { try await Migrator.pending(on: $0, logger: logger) }
                if !pending.isEmpty {
                    try await PracticeDatabase.withDatabase(url: target.ownerURL, logger: logger, stalled: connection.stalled) { owner in
                        try await Migrator.migrate(owner, grantingTo: [target.url.user])
                    }
                }
            case .require:
                let pending = try await database.read { try await Migrator.pending(on: $0, logger: logger) }
                if !pending.isEmpty {
                    throw PracticeError.database(
                        "the database schema is \(pending.count) migration(s) behind; run `practice migrate` first")
                }
            case .none:
                break
            }
            try await checkRole(database, policy: connection)
            return try await body(database)
        }
    }

    /// Triggers and row-level security do not bind a superuser or a BYPASSRLS role.
    static func checkRole(_ database: PracticeDatabase, policy: ConnectionPolicy) async throws {
        let logger = database.logger
        let (name, superuser, bypass): (String, Bool, Bool) = try await database.read { connection in
            let rows = try await connection.query(
                "SELECT rolname::text, rolsuper, rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = current_user",
                logger: logger)
            for try await row in rows.decode((String, Bool, Bool).self) { return row }
            return ("?", false, false)
        }
        guard superuser || bypass else { return }
        let what = superuser ? "a PostgreSQL superuser" : "a role with BYPASSRLS"
        if policy.allowSuperuser {
            policy.warn("connected as \(name), \(what): the database's guarantees (locked signed notes, the audit "
                        + "log, practice isolation) do not bind this connection (PRACTICE_ALLOW_SUPERUSER=1)")
            return
        }
        throw PracticeError.refused(
            "refusing to work as \(name), \(what): triggers and row-level security do not bind it, so signed notes, "
            + "the audit log and other practices' rows would be unprotected; connect as the app role (README: Hosted "
            + "server), or set PRACTICE_ALLOW_SUPERUSER=1 on a single-user laptop")
    }

    /// The service for one run, on an open database.
    /// With `replica` (DATABASE_READ_URL), reads and reports run there; writes on `target`.
    public static func withService<Result: Sendable>(
        target: DatabaseTarget, context: ServiceContext, migrations: MigrationPolicy? = nil,
        connection: ConnectionPolicy = ConnectionPolicy(), replica: DatabaseURL? = nil, logger: Logger,
        _ body: @Sendable (PracticeService) async throws -> Result
    ) async throws -> Result {
        try await withDatabase(target: target, migrations: migrations, connection: connection, logger: logger) { database in
            guard let replica else { return try await body(PracticeService(database: database, context: context)) }
            return try await PracticeDatabase.withDatabase(url: replica, logger: logger, stalled: connection.stalled) { reads in
                try await body(PracticeService(database: database, context: context, replica: reads))
            }
        }
    }

    /// `practice migrate`: as the owner (PRACTICE_OWNER_URL, else DATABASE_URL, else the embedded
    /// owner role), then grants the app role what it needs.
    public static func migrate(target: DatabaseTarget, dryRun: Bool, upTo: Int? = nil, connection: ConnectionPolicy = ConnectionPolicy(),
                               logger: Logger) async throws -> (pending: [String], applied: [String]) {
        if let upTo, !Migrator.all.contains(where: { $0.version == upTo }) {
            throw PracticeError.invalid(field: "--to", reason: "no migration \(upTo); this binary has \(Migrator.all.first?.version ?? 0)–\(Migrator.all.last?.version ?? 0)")
        }
        if case .embedded(let cluster) = target {
            try cluster.start()
            try await ensureDatabaseExists(cluster, logger: logger, stalled: connection.stalled)
        }
        let owner = target.ownerURL
        do {
            return try await PracticeDatabase.withDatabase(url: owner, logger: logger, stalled: connection.stalled) { database in
                if dryRun {
                    let pending = try await database.read { try await Migrator.pending(on: $0, logger: logger) }
                    return (pending.filter { $0.version <= upTo ?? Int.max }.map(\.name), [])
                }
                return ([], try await Migrator.migrate(database, grantingTo: [target.url.user], upTo: upTo).map(\.name))
            }
        } catch let error as PracticeError where error.description.contains("permission denied") {
            // The app role owns nothing, so it cannot change the schema: say which URL is missing.
            throw PracticeError.refused(
                "\(owner.user) may not change the schema (\(error.description)); run `practice migrate` as the schema's "
                + "owner by setting PRACTICE_OWNER_URL")
        }
    }

    /// Creates the embedded database if it is missing (`db start` and `migrate` always check).
    public static func ensureDatabaseExists(_ cluster: EmbeddedPostgres, logger: Logger,
                                     stalled: (@Sendable (Duration) -> Void)? = nil) async throws {
        let name = EmbeddedPostgres.databaseName
        try await PracticeDatabase.withDatabase(url: cluster.ownerURL.with(database: "postgres"), logger: logger,
                                                stalled: stalled) { database in
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
