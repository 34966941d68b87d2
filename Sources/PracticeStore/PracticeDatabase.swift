import Logging
import NIOCore
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

/// Connections asked for and not yet handed over. A connection that takes longer than the
/// deadline to arrive means the server is unreachable or gone (stopped, restarting, killed): a
/// pool would keep trying, so the process is told and can give up.
///
/// It also keeps the connections in use: one that closes under a running command (its backend
/// killed, the server restarted) may leave the driver waiting for an answer that cannot come.
public final class LeaseWatch: Sendable {
    let waiting = Mutex<[UInt64: ContinuousClock.Instant]>([:])
    let inUse = Mutex<[UInt64: PostgresConnection]>([:])
    let counter = Mutex<UInt64>(0)

    func using(_ connection: PostgresConnection, token: UInt64) { inUse.withLock { $0[token] = connection } }
    func done(_ token: UInt64) { _ = inUse.withLock { $0.removeValue(forKey: token) } }

    /// Whether a connection a command is still using has closed.
    var lostConnection: Bool { inUse.withLock { $0.values.contains { $0.isClosed } } }

    func begin() -> UInt64 {
        let token = counter.withLock { value -> UInt64 in value += 1; return value }
        waiting.withLock { $0[token] = .now }
        return token
    }

    func end(_ token: UInt64) { _ = waiting.withLock { $0.removeValue(forKey: token) } }

    /// Whether this request is still waiting for its connection.
    func isWaiting(_ token: UInt64) -> Bool { waiting.withLock { $0[token] != nil } }

    var counts: (inUse: Int, waiting: Int) { (inUse.withLock { $0.count }, waiting.withLock { $0.count }) }

    /// How long the oldest request has waited.
    var longestWait: Duration? {
        waiting.withLock { requests in requests.values.min().map { ContinuousClock.now - $0 } }
    }
}

/// The connections one request holds, for a watchdog outside it: PostgresNIO may leave a query
/// waiting forever on a connection the server dropped mid-statement (shutdown, restart, a killed
/// backend), so the HTTP face watches its request's connections and answers 503 when one closes.
public final class ConnectionWatch: Sendable {
    let held = Mutex<[ObjectIdentifier: PostgresConnection]>([:])

    @TaskLocal public static var current: ConnectionWatch?

    public init() {}

    func hold(_ connection: PostgresConnection) { held.withLock { $0[ObjectIdentifier(connection)] = connection } }
    func release(_ connection: PostgresConnection) { _ = held.withLock { $0.removeValue(forKey: ObjectIdentifier(connection)) } }

    /// Whether a connection the request is using has closed under it.
    public var lostConnection: Bool { held.withLock { $0.values.contains { $0.isClosed } } }
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
    let leases = LeaseWatch()
    /// When set, a transaction whose connection has not arrived within this long fails with
    /// `PracticeError.unavailable` instead of waiting for the pool: a server answers 503 while
    /// PostgreSQL is down rather than hang. The command line leaves it nil and has its watchdog.
    public var connectionWait: Duration?

    public init(client: PostgresClient, logger: Logger, connectionWait: Duration? = nil) {
        self.client = client
        self.logger = logger
        self.connectionWait = connectionWait
    }

    /// Connections serving a caller now, and callers waiting for one.
    public var usage: (inUse: Int, waiting: Int) { leases.counts }

    /// How long a connection may take to arrive before `withDatabase`'s `stalled` is called: with
    /// the second a lost connection is given, a command ends within 5 s of losing its database.
    public static let connectDeadline: Duration = .milliseconds(3500)
    /// How long a command may keep waiting on a connection that has closed.
    public static let lostDeadline: Duration = .seconds(1)

    /// Runs `body` with a live client. The client's `run()` goes in a task beside it and is
    /// cancelled when `body` returns, without waiting for the pool to wind down (a pool whose
    /// server is gone may take a while to notice).
    ///
    /// `stalled` is called once if a connection asked for does not arrive within
    /// `connectDeadline`: the server cannot be reached, or went away mid-command. A command-line
    /// run exits there (69); PostgreSQL rolls back whatever transaction was open, so nothing is
    /// half-written.
    @discardableResult
    public static func withDatabase<Result: Sendable>(
        url: DatabaseURL,
        logger: Logger,
        stalled: (@Sendable (Duration) -> Void)? = nil,
        _ body: @Sendable (PracticeDatabase) async throws -> Result
    ) async throws -> Result {
        // The pool's own chatter (including a benign warning when the first lease races `run()`)
        // stays below the user's chosen level unless it is an error.
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: background)
        let database = PracticeDatabase(client: client, logger: logger)
        let runner = Task { await client.run() }
        let watchdog = stalled.map { stalled in
            Task {
                var lostSince: ContinuousClock.Instant?
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    if let wait = database.leases.longestWait, wait > connectDeadline {
                        stalled(wait)
                        return
                    }
                    if database.leases.lostConnection {
                        let since = lostSince ?? .now
                        lostSince = since
                        if ContinuousClock.now - since > lostDeadline {
                            stalled(ContinuousClock.now - since)
                            return
                        }
                    } else {
                        lostSince = nil
                    }
                }
            }
        }
        defer {
            watchdog?.cancel()
            runner.cancel()
        }
        do {
            return try await body(database)
        } catch {
            throw DatabaseErrors.map(error)
        }
    }

    /// One transaction; errors come back unwrapped and mapped to `PracticeError` where we know them.
    /// `snapshot` makes it REPEATABLE READ: every query in it sees the same moment (reports).
    public func transaction<Result: Sendable>(
        snapshot: Bool = false, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await transaction(snapshot: snapshot, importing: nil, body)
    }

    /// A read-only transaction in a snapshot another open transaction exported
    /// (`pg_export_snapshot()`): a second connection sees exactly what the first sees.
    public func transaction<Result: Sendable>(
        importing exported: String, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        // SET TRANSACTION SNAPSHOT takes no parameter: the id is checked before it goes in.
        guard !exported.isEmpty, exported.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw PracticeError.database("not an exported snapshot id: \(exported.debugDescription)")
        }
        return try await transaction(snapshot: true, importing: exported, body)
    }

    private func transaction<Result: Sendable>(
        snapshot: Bool, importing exported: String?, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let scope = scope.current
        let logger = logger
        return try await withLease { connection in
            try await Self.inTransaction(on: connection, snapshot: snapshot, logger: logger) { connection in
                if let exported {
                    try await connection.query("SET TRANSACTION SNAPSHOT '\(unescaped: exported)'", logger: logger)
                    try await connection.query("SET TRANSACTION READ ONLY", logger: logger)
                }
                if scope.practiceID != nil || scope.actor != nil {
                    try await connection.run("""
                        SELECT set_config('practice.practice_id', \(scope.practiceID.map(String.init) ?? ""), true),
                               set_config('practice.actor', \(scope.actor ?? ""), true)
                        """, logger: logger)
                }
                return try await body(connection)
            }
        }
    }

    /// A connection from the pool for `body`: watched while it is awaited (the watchdog's
    /// deadline) and while it is used (by the lease watch and the request's `ConnectionWatch`,
    /// until it is back in the pool: a COMMIT or ROLLBACK may wait on a dead connection); errors
    /// mapped to `PracticeError`.
    func withLease<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let leases = leases
        let lease = leases.begin()
        defer {
            leases.end(lease)
            leases.done(lease)
        }
        do {
            return try await waitingAtMost(connectionWait, for: lease) { client in
                try await client.withConnection { connection in
                    leases.end(lease)
                    leases.using(connection, token: lease)
                    ConnectionWatch.current?.hold(connection)
                    defer { ConnectionWatch.current?.release(connection) }
                    return try await body(connection)
                }
            }
        } catch {
            throw DatabaseErrors.map(error)
        }
    }

    /// BEGIN, the body, COMMIT; on an error, ROLLBACK only while the connection is sound. A
    /// connection the server dropped (shutdown, restart, a killed backend) rolled the transaction
    /// back already, and a query sent on it may never be answered: it is closed instead, and the
    /// pool opens a fresh one.
    static func inTransaction<Result: Sendable>(on connection: PostgresConnection, snapshot: Bool = false, logger: Logger,
                                                isolation: isolated (any Actor)? = #isolation,
                                                _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await connection.query(snapshot ? "BEGIN ISOLATION LEVEL REPEATABLE READ" : "BEGIN", logger: logger)
        let result: Result
        do {
            result = try await body(connection)
        } catch {
            if connection.isClosed || !isSoundAfter(error) {
                try? await connection.close()
            } else {
                do {
                    try await connection.query("ROLLBACK", logger: logger)
                } catch {
                    try? await connection.close()
                }
            }
            throw error
        }
        // An error the caller never saw (a statement whose rows it dropped) leaves the transaction
        // aborted, and COMMIT then answers ROLLBACK without an error: say so, never report it saved.
        let outcome = try await connection.query("COMMIT", []).get().metadata.command
        guard outcome == "COMMIT" else {
            throw PracticeError.database("the transaction was rolled back (\(outcome)) after an earlier error; nothing was saved")
        }
        return result
    }

    /// Whether the connection is still usable after `error`: the server answered with an error
    /// for this statement (bad data, a constraint, a lock timeout), or the error is the caller's
    /// own. Connection-level failures and the server's shutdown or crash (SQLSTATE classes 08,
    /// 57 and 58) are not.
    static func isSoundAfter(_ error: any Error) -> Bool {
        guard let psql = error as? PSQLError else { return !(error is ChannelError) }
        guard psql.code == .server, let state = psql.serverInfo?[.sqlState] else { return false }
        return !["08", "57", "58"].contains(String(state.prefix(2)))
    }

    /// Runs `work`, failing it with `.unavailable` if its connection has not arrived within `wait`.
    /// The waiting request is cancelled, which takes it out of the pool's queue.
    func waitingAtMost<Result: Sendable>(_ wait: Duration?, for lease: UInt64,
                                         _ work: (PostgresClient) async throws -> Result) async throws -> Result {
        guard let wait else { return try await work(client) }
        // `work` runs in a child task of this call and is awaited before it returns, so it never
        // outlives the closure it was given.
        let (client, leases) = (client, leases)
        return try await withoutActuallyEscaping(work) { work in
            nonisolated(unsafe) let work = work
            return try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask { try await work(client) }
                group.addTask {
                    try await Task.sleep(for: wait)
                    if leases.isWaiting(lease) {
                        throw PracticeError.unavailable("PostgreSQL did not answer within \(wait); nothing was saved")
                    }
                    return nil
                }
                defer { group.cancelAll() }
                while let next = try await group.next() {
                    if let result = next { return result }
                }
                throw PracticeError.unavailable("PostgreSQL did not answer")
            }
        }
    }

    /// Whether the database answers a query now (a health check).
    public func answers() async -> Bool {
        let logger = logger
        do {
            return try await withLease { connection in
                try await connection.query("SELECT 1", logger: logger).decode(Int.self).reduce(0, +) == 1
            }
        } catch {
            return false
        }
    }

    /// A connection outside a transaction, for reads. With a scope set, a transaction carrying it.
    public func read<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let current = scope.current
        if current.practiceID != nil || current.actor != nil { return try await transaction(body) }
        return try await withLease(body)
    }
}
