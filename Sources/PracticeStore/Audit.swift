import Foundation
import Logging
import PostgresNIO
import PracticeCore

/// The audit log. Writes are recorded by the database's own triggers, in the same transaction,
/// with the actor the service sets; this type records reads and exports (through the one
/// function the app role may call) and lists events. Events hold ids, actions, table and column
/// names: never names, notes or scores.
public enum Audit {
    /// Who is acting when no staff member is named: the operating-system user running the CLI.
    public static let actor: String = {
        let user = ProcessInfo.processInfo.environment["PRACTICE_ACTOR"]
            ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        return "cli:\(user)"
    }()

    /// A read (`read`) or an export to someone outside the practice (`export`, with the recipient
    /// provider for the accounting of disclosures).
    public static func disclose(_ action: Disclosure, entity: String, entityID: Int64?, clientID: Int64?,
                                recipientProviderID: Int64? = nil, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run("""
            SELECT public.record_disclosure(\(action.rawValue), \(entity), \(entityID), \(clientID), \(recipientProviderID))
            """, logger: logger)
    }

    public enum Disclosure: String, Sendable {
        case read
        case export
    }

    public struct Event: Sendable, Codable, Equatable {
        public var id: Int64
        public var occurredAt: Date
        public var actor: String
        public var action: String
        public var table: String
        public var rowID: Int64?
        public var columns: [String]?
        public var clientID: Int64?
        public var staffID: Int64?
        public var recipientProviderID: Int64?
    }

    public struct Filter: Sendable {
        public var clientID: Int64?
        public var staffID: Int64?
        public var since: Date?
        public var limit: Int
        /// Events to pass over first (a page's position).
        public var offset: Int
        /// Newest first (the API's audit view); oldest first otherwise (the command line's).
        public var newestFirst: Bool

        public init(clientID: Int64? = nil, staffID: Int64? = nil, since: Date? = nil, limit: Int = 1000, offset: Int = 0,
                    newestFirst: Bool = false) {
            (self.clientID, self.staffID, self.since, self.limit) = (clientID, staffID, since, limit)
            (self.offset, self.newestFirst) = (offset, newestFirst)
        }
    }

    /// Events of the transaction's practice (row-level security scopes them), oldest first
    /// unless `newestFirst`.
    /// `staffID` matches events by that staff member and events about that staff member's row.
    public static func list(_ filter: Filter, practiceID: Int64, on connection: PostgresConnection,
                            logger: Logger) async throws -> [Event] {
        let staffActor = filter.staffID.map { "staff:\($0)" }
        let rows = try await connection.query("""
            SELECT id, occurred_at, actor, action, entity, entity_id, columns, client_id, staff_id, recipient_provider_id
            FROM audit_events
            WHERE practice_id = \(practiceID)
              AND (\(filter.clientID)::bigint IS NULL OR client_id = \(filter.clientID))
              AND (\(filter.staffID)::bigint IS NULL OR staff_id = \(filter.staffID) OR actor = \(staffActor)
                   OR (entity = 'staff' AND entity_id = \(filter.staffID)))
              AND (\(filter.since)::timestamptz IS NULL OR occurred_at >= \(filter.since))
            ORDER BY \(unescaped: filter.newestFirst ? "occurred_at DESC, id DESC" : "occurred_at, id")
            LIMIT \(filter.limit) OFFSET \(filter.offset)
            """, logger: logger)
        var events: [Event] = []
        for try await (id, at, actor, action, table, rowID, columns, client, staff, recipient) in rows.decode(
            (Int64, Date, String, String, String, Int64?, [String]?, Int64?, Int64?, Int64?).self) {
            events.append(Event(id: id, occurredAt: at, actor: actor, action: action, table: table, rowID: rowID,
                                columns: columns, clientID: client, staffID: staff, recipientProviderID: recipient))
        }
        return events
    }
}
