import Foundation
import Logging
import PostgresNIO
import PracticeCore

/// Appointments (treatment sessions) at the level the foundation needs: recording visits that
/// happened, with their clinical fields. Booking rules arrive with the scheduling issue.
public enum AppointmentRepository {
    public struct CompletedSession: Sendable {
        public var clientID: Int64
        public var therapistID: Int64
        public var startsAt: Date
        public var minutes: Int
        public var techniques: [String]
        public var painBefore: Int
        public var painAfter: Int
        public var soreness: String
        public var cptCode: String?
        public var fee: Double?

        public init(clientID: Int64, therapistID: Int64, startsAt: Date, minutes: Int, techniques: [String],
                    painBefore: Int, painAfter: Int, soreness: String = "none", cptCode: String? = nil, fee: Double? = nil) {
            self.clientID = clientID
            self.therapistID = therapistID
            self.startsAt = startsAt
            self.minutes = minutes
            self.techniques = techniques
            self.painBefore = painBefore
            self.painAfter = painAfter
            self.soreness = soreness
            self.cptCode = cptCode
            self.fee = fee
        }
    }

    /// Records a session that already took place, with its pain scores, in one statement set.
    public static func recordCompleted(_ session: CompletedSession, practiceID: Int64,
                                       on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let ends = session.startsAt.addingTimeInterval(TimeInterval(session.minutes * 60))
        let units = session.cptCode == nil ? nil : BillingUnits.units(minutes: session.minutes)
        let id = try await connection.insertReturningID("""
            INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, status, minutes_treated,
                                      techniques, soreness, cpt_code, billable_units, fee, completed_at)
            VALUES (\(practiceID), \(session.clientID), \(session.therapistID), \(session.startsAt), \(ends), 'completed',
                    \(session.minutes), \(session.techniques), \(session.soreness), \(session.cptCode), \(units),
                    \(session.fee)::numeric, \(ends))
            RETURNING id
            """, logger: logger)
        try await connection.query("""
            INSERT INTO pain_reports (practice_id, client_id, appointment_id, source, score, reported_at)
            VALUES (\(practiceID), \(session.clientID), \(id), 'before_session', \(session.painBefore), \(session.startsAt)),
                   (\(practiceID), \(session.clientID), \(id), 'after_session', \(session.painAfter), \(ends))
            """, logger: logger)
        try await Audit.record(practiceID: practiceID, action: "complete", entity: "appointment", entityID: id,
                               on: connection, logger: logger)
        return id
    }

    public static func count(practiceID: Int64, status: String, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        for try await n in try await connection.query(
            "SELECT count(*)::int FROM appointments WHERE practice_id = \(practiceID) AND status = \(status)",
            logger: logger).decode(Int.self) { return n }
        return 0
    }
}

public enum PressureFeedbackRepository {
    public static func add(appointmentID: Int64, region: String, pressure: Int, discomfort: Int, action: String,
                           note: String?, practiceID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        try await connection.insertReturningID("""
            INSERT INTO pressure_feedback (practice_id, appointment_id, region, pressure, discomfort, action, note)
            VALUES (\(practiceID), \(appointmentID), \(region), \(pressure), \(discomfort), \(action), \(note))
            RETURNING id
            """, logger: logger)
    }
}

public enum SessionNoteRepository {
    /// Drafts and signs a SOAP note in one go: the demo's and the importer's path.
    public static func addSigned(appointmentID: Int64, subjective: String, objective: String, assessment: String,
                                 plan: String, homeProgram: String? = nil, signedBy: Int64, practiceID: Int64,
                                 on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let id = try await connection.insertReturningID("""
            INSERT INTO session_notes (practice_id, appointment_id, subjective, objective, assessment, plan, home_program)
            VALUES (\(practiceID), \(appointmentID), \(subjective), \(objective), \(assessment), \(plan), \(homeProgram))
            RETURNING id
            """, logger: logger)
        try await connection.query("""
            UPDATE session_notes SET signed_by = \(signedBy), signed_at = now()
            WHERE practice_id = \(practiceID) AND id = \(id)
            """, logger: logger)
        return id
    }
}
