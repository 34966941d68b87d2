import Foundation
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

    var today: CalendarDate { now.today }

    /// Records that clinical data was read, or exported to a provider (accounting of disclosures).
    public func disclose(_ entity: String, id: Int64? = nil, clientID: Int64? = nil, action: Audit.Disclosure = .read,
                         to providerID: Int64? = nil) async throws {
        try await Audit.disclose(action, entity: entity, entityID: id, clientID: clientID, recipientProviderID: providerID,
                                 on: connection, logger: logger)
    }
}

/// The use cases every face calls. A face parses and renders; it decides nothing.
public struct PracticeService: Sendable {
    public let database: PracticeDatabase
    public let context: ServiceContext
    var logger: Logger { database.logger }

    public init(database: PracticeDatabase, context: ServiceContext) {
        self.database = database
        self.context = context
    }

    /// Runs `body` in one transaction, with the practice resolved, the clock read once, and the
    /// practice and actor set as transaction-local settings for the database's own rules.
    public func write<Result: Sendable>(_ body: (UnitOfWork) async throws -> Result) async throws -> Result {
        try await run(readOnly: false, body)
    }

    /// The same, in a read-only transaction: one consistent snapshot for a report.
    public func read<Result: Sendable>(_ body: (UnitOfWork) async throws -> Result) async throws -> Result {
        try await run(readOnly: true, body)
    }

    func run<Result: Sendable>(readOnly: Bool, _ body: (UnitOfWork) async throws -> Result) async throws -> Result {
        let (context, logger) = (context, logger)
        // A report reads one snapshot; it still writes its read event to the audit log.
        return try await database.transaction(snapshot: readOnly) { connection in
            let instant = try await context.clock.instant(on: connection, logger: logger)
            let practice = try await Practices.resolve(context.practiceID, on: connection, logger: logger)
            try await connection.query("""
                SELECT set_config('lock_timeout', \(ServiceLimits.lockTimeout), true),
                       set_config('statement_timeout', \(ServiceLimits.statementTimeout), true),
                       set_config('practice.practice_id', \(String(practice.id)), true),
                       set_config('practice.actor', \(context.actor), true),
                       set_config('practice.staff_id', \(context.actorID.map(String.init) ?? ""), true)
                """, logger: logger)
            return try await body(UnitOfWork(connection: connection, practice: practice,
                                             now: PracticeNow(instant: instant, timeZone: practice.timeZone),
                                             context: context, logger: logger))
        }
    }
}

extension PostgresConnection {
    /// Names who acts for the rest of the transaction: the audit triggers refuse a write without it.
    func setActor(_ actor: String, logger: Logger) async throws {
        try await query("SELECT set_config('practice.actor', \(actor), true)", logger: logger)
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
