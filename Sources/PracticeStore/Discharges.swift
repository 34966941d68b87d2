import Foundation
import Logging
import PostgresNIO
import PracticeCore

/// A client whose care here has ended, and readmission. Kept as history so that the check as of
/// any date knows who was under care that day; `clients.active` mirrors the current state.
public struct Discharge: Sendable, Codable, Equatable {
    public var id: Int64
    public var clientID: Int64
    public var dischargedOn: CalendarDate
    public var reason: String?
    public var readmittedOn: CalendarDate?
}

public enum Discharges {
    public static func open(clientID: Int64, practiceID: Int64, on connection: PostgresConnection,
                            logger: Logger) async throws -> Discharge? {
        try await fetch("""
            SELECT id, client_id, discharged_on::text, reason, readmitted_on::text FROM client_discharges
            WHERE practice_id = \(practiceID) AND client_id = \(clientID) AND readmitted_on IS NULL
            """, on: connection, logger: logger).first
    }

    public static func discharge(clientID: Int64, on date: CalendarDate, reason: String?, practiceID: Int64,
                                 now: PracticeNow, on connection: PostgresConnection, logger: Logger) async throws -> Discharge {
        let id = try await connection.insertReturningID("""
            INSERT INTO client_discharges (practice_id, client_id, discharged_on, reason, recorded_at)
            VALUES (\(practiceID), \(clientID), \(date.description)::date, \(reason), \(now.instant))
            RETURNING id
            """, logger: logger)
        try await connection.query("UPDATE clients SET active = false WHERE practice_id = \(practiceID) AND id = \(clientID)",
                                   logger: logger)
        guard let discharge = try await fetch("""
            SELECT id, client_id, discharged_on::text, reason, readmitted_on::text FROM client_discharges
            WHERE practice_id = \(practiceID) AND id = \(id)
            """, on: connection, logger: logger).first else { throw PracticeError.database("the discharge was not stored") }
        return discharge
    }

    public static func readmit(clientID: Int64, on date: CalendarDate, practiceID: Int64, now: PracticeNow,
                               on connection: PostgresConnection, logger: Logger) async throws -> Discharge? {
        let closed = try await fetch("""
            UPDATE client_discharges SET readmitted_on = greatest(\(date.description)::date, discharged_on),
                                         readmitted_at = \(now.instant)
            WHERE practice_id = \(practiceID) AND client_id = \(clientID) AND readmitted_on IS NULL
            RETURNING id, client_id, discharged_on::text, reason, readmitted_on::text
            """, on: connection, logger: logger).first
        try await connection.query("UPDATE clients SET active = true WHERE practice_id = \(practiceID) AND id = \(clientID)",
                                   logger: logger)
        if closed != nil {
        }
        return closed
    }

    static func fetch(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [Discharge] {
        var result: [Discharge] = []
        for try await (id, client, on, reason, readmitted) in try await connection.query(query, logger: logger)
            .decode((Int64, Int64, String, String?, String?).self) {
            result.append(Discharge(id: id, clientID: client, dischargedOn: try CalendarDate(parsing: on), reason: reason,
                                    readmittedOn: try readmitted.map { try CalendarDate(parsing: $0) }))
        }
        return result
    }
}
