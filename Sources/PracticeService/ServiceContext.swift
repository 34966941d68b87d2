import Foundation
import Synchronization
import Logging
import PostgresNIO
import PracticeCore
import PracticeStore

/// Where "now" comes from. In production, the database's transaction time; tests fix it.
public enum ServiceClock: Sendable, Equatable {
    /// `now()` of the transaction the use case runs in: every process agrees on it.
    case database
    /// A fixed instant, for tests and for replaying history.
    case fixed(Date)

    func instant(on connection: PostgresConnection, logger: Logger) async throws -> Date {
        switch self {
        case .fixed(let instant): instant
        case .database: try await connection.practiceNow(timeZone: "UTC", logger: logger).instant
        }
    }
}

/// Who acts, in which practice, by which clock: what every use case is given besides its request.
public struct ServiceContext: Sendable {
    /// The practice asked for; nil means "the only one there is".
    public var practiceID: Int64?
    /// The acting staff member, when known (the HTTP face knows it from the token).
    public var actorID: Int64?
    /// A label for the audit log when no staff member is known, e.g. "cli:alice".
    public var actorLabel: String
    /// The acting staff member's role, which `authorize` checks. Nil for the command line, whose
    /// user works the practice's own database as its administrator.
    public var role: StaffRole?
    public var clock: ServiceClock

    public init(practiceID: Int64? = nil, actorID: Int64? = nil, actorLabel: String = Audit.actor, role: StaffRole? = nil,
                clock: ServiceClock = .database) {
        self.practiceID = practiceID
        self.actorID = actorID
        self.actorLabel = actorLabel
        self.role = role
        self.clock = clock
    }

    var actor: String { actorID.map { "staff:\($0)" } ?? actorLabel }
}

/// A result and the warnings raised on the way, each with its rule, code and sentence.
public struct Outcome<Value: Sendable>: Sendable {
    public var value: Value
    public var warnings: [Warning]

    public init(_ value: Value, warnings: [Warning] = []) {
        self.value = value
        self.warnings = warnings
    }
}

/// One use case's transaction: the connection, the practice, the one "now", and the actor.
/// Every use case is a method on this type; `PracticeService` runs each in its own transaction,
/// and the demo runs many in one.
public struct UnitOfWork: Sendable {
    public let connection: PostgresConnection
    public let practice: Practice
    public let now: PracticeNow
    public let context: ServiceContext
    public let logger: Logger
    /// Set when the unit reads on a replica, which takes no writes: disclosures wait here and are
    /// written on the primary once the read is done.
    let pendingDisclosures: PendingDisclosures?

    init(connection: PostgresConnection, practice: Practice, now: PracticeNow, context: ServiceContext, logger: Logger,
         pendingDisclosures: PendingDisclosures? = nil) {
        (self.connection, self.practice, self.now, self.context, self.logger) = (connection, practice, now, context, logger)
        self.pendingDisclosures = pendingDisclosures
    }

    var today: CalendarDate { now.today }

    /// Records that clinical data was read, or exported to a provider (accounting of disclosures).
    public func disclose(_ entity: String, id: Int64? = nil, clientID: Int64? = nil, action: Audit.Disclosure = .read,
                         to providerID: Int64? = nil) async throws {
        let disclosure = PendingDisclosures.Disclosure(action: action, entity: entity, entityID: id, clientID: clientID,
                                                       providerID: providerID)
        if let pendingDisclosures { return pendingDisclosures.append(disclosure) }
        try await disclosure.record(on: connection, logger: logger)
    }
}

/// Disclosures made while reading on a replica, to be written on the primary.
final class PendingDisclosures: Sendable {
    struct Disclosure: Sendable {
        var action: Audit.Disclosure
        var entity: String
        var entityID: Int64?
        var clientID: Int64?
        var providerID: Int64?

        func record(on connection: PostgresConnection, logger: Logger) async throws {
            try await Audit.disclose(action, entity: entity, entityID: entityID, clientID: clientID,
                                     recipientProviderID: providerID, on: connection, logger: logger)
        }
    }

    private let items = Mutex<[Disclosure]>([])
    func append(_ disclosure: Disclosure) { items.withLock { $0.append(disclosure) } }
    var all: [Disclosure] { items.withLock { $0 } }
}

/// The use cases every face calls. A face parses and renders; it decides nothing.
public struct PracticeService: Sendable {
    public let database: PracticeDatabase
    /// A read replica (DATABASE_READ_URL): `read` runs there; `write` always on `database`.
    public let replica: PracticeDatabase?
    public let context: ServiceContext
    var logger: Logger { database.logger }

    public init(database: PracticeDatabase, context: ServiceContext, replica: PracticeDatabase? = nil) {
        self.database = database
        self.context = context
        self.replica = replica
    }

    /// Runs `body` in one transaction, with the practice resolved, the clock read once, and the
    /// practice and actor set as transaction-local settings for the database's own rules.
    public func write<Result: Sendable>(_ body: (UnitOfWork) async throws -> Result) async throws -> Result {
        try await run(readOnly: false, body)
    }

    /// The same, in a read-only transaction: one consistent snapshot for a report. With a replica,
    /// the snapshot is the replica's, and the read's audit events are then written on the primary
    /// in a transaction of their own: a read is never served without its record.
    public func read<Result: Sendable>(_ body: (UnitOfWork) async throws -> Result) async throws -> Result {
        guard let replica else { return try await run(readOnly: true, body) }
        let pending = PendingDisclosures()
        let result = try await run(on: replica, readOnly: true, pending: pending, body)
        let disclosures = pending.all
        if !disclosures.isEmpty {
            try await run(readOnly: false) { unit in
                for disclosure in disclosures { try await disclosure.record(on: unit.connection, logger: unit.logger) }
            }
        }
        return result
    }

    func run<Result: Sendable>(on target: PracticeDatabase? = nil, readOnly: Bool, pending: PendingDisclosures? = nil,
                               _ body: (UnitOfWork) async throws -> Result) async throws -> Result {
        let (context, logger) = (context, logger)
        // A report reads one snapshot; it still writes its read event to the audit log.
        return try await (target ?? database).transaction(snapshot: readOnly) { connection in
            let instant = try await context.clock.instant(on: connection, logger: logger)
            let practice = try await Practices.resolve(context.practiceID, on: connection, logger: logger)
            try await Self.scope(connection, practice: practice, context: context, logger: logger)
            return try await body(UnitOfWork(connection: connection, practice: practice,
                                             now: PracticeNow(instant: instant, timeZone: practice.timeZone),
                                             context: context, logger: logger, pendingDisclosures: pending))
        }
    }
}

extension PracticeService {
    /// The transaction's limits, practice and actor, as transaction-local settings for the
    /// database's own rules (row-level security, the audit triggers).
    static func scope(_ connection: PostgresConnection, practice: Practice, context: ServiceContext, logger: Logger) async throws {
        try await connection.run("""
            SELECT set_config('lock_timeout', \(ServiceLimits.lockTimeout), true),
                   set_config('statement_timeout', \(ServiceLimits.statementTimeout), true),
                   set_config('practice.practice_id', \(String(practice.id)), true),
                   set_config('practice.actor', \(context.actor), true),
                   set_config('practice.staff_id', \(context.actorID.map(String.init) ?? ""), true)
            """, logger: logger)
    }
}

extension PostgresConnection {
    /// Names who acts for the rest of the transaction: the audit triggers refuse a write without it.
    func setActor(_ actor: String, logger: Logger) async throws {
        try await run("SELECT set_config('practice.actor', \(actor), true)", logger: logger)
    }
}

/// Every use case has a deadline inside the database too: waiting for a row another command has
/// locked ends after `lockTimeout`, and one statement after `statementTimeout` (a report over
/// years of a large practice stays well inside it). A lost server is the watchdog's
/// (`ConnectionPolicy.stalled`).
public enum ServiceLimits {
    public static let lockTimeout = "5s"
    public static let statementTimeout = "120s"
}
