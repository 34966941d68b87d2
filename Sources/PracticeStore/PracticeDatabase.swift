import Logging
import PostgresNIO
import PracticeCore

/// The store's handle on PostgreSQL: a running `PostgresClient` plus the logger queries use.
///
/// Repositories are static functions that take a `PostgresConnection`, so any number of them
/// compose in one `transaction { … }`.
public struct PracticeDatabase: Sendable {
    public let client: PostgresClient
    public let logger: Logger

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
    public func transaction<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(connection)
            }
        } catch {
            throw DatabaseErrors.map(error)
        }
    }

    /// A connection outside a transaction, for reads.
    public func read<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw DatabaseErrors.map(error)
        }
    }
}
