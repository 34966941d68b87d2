import Foundation
import Logging
import PostgresNIO

/// The actor is the service's transaction-local `practice.actor` when set (the acting staff
/// member), else this process's label.
/// The append-only audit log: who did what to which record. Entity and id only, never names,
/// notes or scores, so the log itself holds no health details.
public enum Audit {
    /// Who is acting: the operating-system user running the CLI, or a server principal.
    public static let actor: String = {
        let user = ProcessInfo.processInfo.environment["PRACTICE_ACTOR"]
            ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        return "cli:\(user)"
    }()

    public static func record(practiceID: Int64, action: String, entity: String, entityID: Int64?,
                              on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO audit_events (practice_id, actor, action, entity, entity_id)
            VALUES (\(practiceID), coalesce(nullif(current_setting('practice.actor', true), ''), \(actor)), \(action), \(entity),
                    \(entityID))
            """, logger: logger)
    }
}
