import Logging
import PostgresNIO
import PracticeCore
import Synchronization

/// The practice and actor a caller outside the service layer (store tests, tools) works as.
/// The service sets both itself in every transaction; the database refuses a write without an
/// actor and shows no practice's rows without a practice.
public final class TransactionScope: Sendable {
    struct Values: Sendable {
        var practiceID: Int64?
        var actor: String?
    }
    let values = Mutex(Values())

    public init() {}

    public func set(practiceID: Int64?) { values.withLock { $0.practiceID = practiceID } }
    public func set(actor: String?) { values.withLock { $0.actor = actor } }
    var current: Values { values.withLock { $0 } }
    public var practiceID: Int64? { current.practiceID }
    public var actor: String? { current.actor }
}

/// The store's handle on PostgreSQL: a running `PostgresClient` plus the logger queries use.
///
/// Repositories are static functions that take a `PostgresConnection`, so any number of them
/// compose in one `transaction { … }`.
public struct PracticeDatabase: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// Applied at the start of every `transaction` when set; empty unless a caller sets it.
    public let scope = TransactionScope()

    /// Runs `body` with a live client: the client's `run()` goes in a task beside it and is
    /// cancelled when `body` returns, as PostgresNIO's lifecycle asks.
    @discardableResult
    public static func withDatabase<Result: Sendable>(
        url: DatabaseURL,
        logger: Logger,
        _ body: @Sendable (PracticeDatabase) async throws -> Result
    ) async throws -> Result {
        // The pool's own chatter (including a benign warning when the first lease races `run()`)
        // stays below the user's chosen level unless it is an error.
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: background)
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            do {
                return try await body(PracticeDatabase(client: client, logger: logger))
            } catch {
                throw DatabaseErrors.map(error)
            }
        }
    }

    /// One transaction; errors come back unwrapped and mapped to `PracticeError` where we know them.
    /// `snapshot` makes it REPEATABLE READ: every query in it sees the same moment (reports).
    public func transaction<Result: Sendable>(
        snapshot: Bool = false, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let scope = scope.current
        let logger = logger
        do {
            return try await client.withTransaction(logger: logger) { connection in
                if snapshot {
                    try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
                }
                if scope.practiceID != nil || scope.actor != nil {
                    try await connection.query("""
                        SELECT set_config('practice.practice_id', \(scope.practiceID.map(String.init) ?? ""), true),
                               set_config('practice.actor', \(scope.actor ?? ""), true)
                        """, logger: logger)
                }
                return try await body(connection)
            }
        } catch {
            throw DatabaseErrors.map(error)
        }
    }

    /// A connection outside a transaction, for reads. With a scope set, a transaction carrying it.
    public func read<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let current = scope.current
        if current.practiceID != nil || current.actor != nil { return try await transaction(body) }
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw DatabaseErrors.map(error)
        }
    }
}
