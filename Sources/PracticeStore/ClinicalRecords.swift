import Foundation
import Logging
import PostgresNIO
import PracticeCore

/// The therapist's record of a session: completion with pain scores, pressure feedback, SOAP
/// notes and their addenda, and pain reported between visits.
public enum ClinicalRecords {
    public struct Completion: Sendable, Codable {
        public var id: Int64
        public var appointment: AppointmentView
        public var minutes: Int
        public var techniques: [Technique]
        public var painBefore: Int
        public var painAfter: Int
        public var soreness: Soreness
        public var followUpDue: Date?
        public var cptCode: String?
        public var units: Int?
        public var fee: Decimal?
        public var warnings: [Warning]
    }

    /// Completes a visit with its clinical record, in the caller's transaction.
    public static func complete(_ id: Int64, record: SessionRecord, practice: Practice, now: PracticeNow? = nil,
                                on connection: PostgresConnection, logger: Logger) async throws -> Completion {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        let fee = record.fee.map { NSDecimalNumber(decimal: $0).stringValue }
        let clinical = Scheduling.ClinicalFields(techniques: record.techniques.map(\.rawValue), soreness: record.soreness.rawValue,
                                                 cptCode: record.cpt?.rawValue, units: record.units, fee: fee)
        let done = try await Scheduling.move(id, to: .completed, minutesTreated: record.minutes, clinical: clinical,
                                             practice: practice, now: now, on: connection, logger: logger)
        try await connection.query("""
            INSERT INTO pain_reports (practice_id, client_id, appointment_id, source, score, reported_at, created_at)
            SELECT practice_id, client_id, id, 'before_session', \(record.painBefore), starts_at, \(now.instant)
            FROM appointments WHERE practice_id = \(practice.id) AND id = \(id)
            UNION ALL
            SELECT practice_id, client_id, id, 'after_session', \(record.painAfter), completed_at, \(now.instant)
            FROM appointments WHERE practice_id = \(practice.id) AND id = \(id)
            """, logger: logger)
        var warnings: [Warning] = []
        if let warning = BookingRules.lengthWarning(minutes: record.minutes, policy: practice.policy) { warnings.append(warning) }
        if record.needsFollowUp {
            warnings.append(Warning(.soreness, rule: .soreness, "marked soreness: follow up with the client within 24 hours"))
        }
        warnings += try await Prescriptions.warnings(clientID: done.clientID, dates: [done.date], countBooked: false,
                                                     practice: practice, on: connection, logger: logger)
        return Completion(id: id, appointment: done, minutes: record.minutes, techniques: record.techniques,
                          painBefore: record.painBefore, painAfter: record.painAfter, soreness: record.soreness,
                          followUpDue: record.needsFollowUp ? now.instant.addingTimeInterval(86_400) : nil,
                          cptCode: record.cpt?.rawValue, units: record.units, fee: record.fee, warnings: warnings)
    }

    // MARK: Pressure feedback

    public struct Feedback: Sendable, Codable, Equatable {
        public var id: Int64
        public var appointmentID: Int64
        public var region: BodyRegion
        public var pressure: Int
        public var discomfort: Int
        public var action: PressureAction
        public var note: String?
        public var recordedAt: Date
        public var flag: String?
    }

    public static func addFeedback(appointmentID: Int64, entry: PressureFeedbackEntry, practice: Practice,
                                   now: PracticeNow? = nil, on connection: PostgresConnection, logger: Logger) async throws -> Feedback {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        let appointment = try await Scheduling.get(appointmentID, practice: practice, on: connection, logger: logger)
        guard appointment.status == .checkedIn || appointment.status == .completed
                || (appointment.status == .booked && appointment.startsAt <= now.instant) else {
            throw PracticeError.refused("appointment \(appointmentID) is \(appointment.status.cliName) and not under way; pressure feedback belongs to a session")
        }
        // Feedback on a visit entered after the fact belongs to the visit's own time.
        let recordedAt = appointment.createdAt >= appointment.startsAt ? appointment.startsAt : max(now.instant, appointment.startsAt)
        let id = try await connection.insertReturningID("""
            INSERT INTO pressure_feedback (practice_id, appointment_id, region, pressure, discomfort, action, note,
                                           recorded_at, created_at)
            VALUES (\(practice.id), \(appointmentID), \(entry.region.rawValue), \(entry.pressure), \(entry.discomfort),
                    \(entry.action.rawValue), \(entry.note), \(recordedAt), \(now.instant))
            RETURNING id
            """, logger: logger)
        guard let stored = try await feedback(appointmentID: appointmentID, practice: practice, on: connection, logger: logger)
            .first(where: { $0.id == id }) else { throw PracticeError.database("pressure feedback \(id) was not stored") }
        return stored
    }

    public static func feedback(appointmentID: Int64, practice: Practice, on connection: PostgresConnection,
                                logger: Logger) async throws -> [Feedback] {
        _ = try await Scheduling.get(appointmentID, practice: practice, on: connection, logger: logger)
        var result: [Feedback] = []
        let rows = try await connection.query("""
            SELECT id, region, pressure::int, discomfort::int, action, note, recorded_at FROM pressure_feedback f
            WHERE practice_id = \(practice.id) AND appointment_id = \(appointmentID)
              AND NOT EXISTS (SELECT 1 FROM pressure_feedback x WHERE x.practice_id = f.practice_id AND x.supersedes_id = f.id)
            ORDER BY recorded_at, id
            """, logger: logger)
        for try await (id, region, pressure, discomfort, action, note, at) in rows.decode((Int64, String, Int, Int, String, String?, Date).self) {
            guard let act = PressureAction(rawValue: action), let place = BodyRegion(rawValue: region) else {
                throw PracticeError.database("pressure feedback \(id) holds a region or action this version does not know")
            }
            result.append(Feedback(id: id, appointmentID: appointmentID, region: place,
                                   pressure: pressure, discomfort: discomfort, action: act, note: note, recordedAt: at,
                                   flag: PressureFeedbackEntry.flag(discomfort: discomfort, action: act, policy: practice.policy)))
        }
        return result
    }

    // MARK: Pain between visits

    public struct PainReport: Sendable, Codable {
        public var id: Int64
        public var clientID: Int64
        public var score: Int
        public var source: String
        public var reportedAt: Date
    }

    /// A score the client reported between visits, on `date` (local noon) or now.
    public static func reportPain(clientID: Int64, score: Int, date: CalendarDate?, practice: Practice,
                                  now: PracticeNow? = nil, on connection: PostgresConnection, logger: Logger) async throws -> PainReport {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        try PainScore.check(score, field: "--score")
        _ = try await ClientRepository.get(clientID, practiceID: practice.id, on: connection, logger: logger)
        if let date {
            guard date <= now.today else {
                throw PracticeError.invalid(field: "--date", reason: "\(date) is in the future")
            }
        }
        let rows = try await connection.query("""
            INSERT INTO pain_reports (practice_id, client_id, source, score, reported_at, created_at)
            VALUES (\(practice.id), \(clientID), 'self_reported', \(score),
                    least(coalesce((\(date?.description)::date + time '12:00') AT TIME ZONE \(practice.timeZone), \(now.instant)),
                          \(now.instant)),
                    \(now.instant))
            RETURNING id, reported_at
            """, logger: logger)
        for try await (id, at) in rows.decode((Int64, Date).self) {
            return PainReport(id: id, clientID: clientID, score: score, source: "self_reported", reportedAt: at)
        }
        throw PracticeError.database("the pain report was not stored")
    }
}

/// Incoming prescriptions' limits: sessions authorised and expiry.
public enum Prescriptions {
    /// The latest prescription on file and the sessions counted against it.
    public static func limits(clientID: Int64, countBooked: Bool, practice: Practice, on connection: PostgresConnection,
                              logger: Logger) async throws -> PrescriptionLimits? {
        let rows = try await connection.query("""
            SELECT l.id, l.sessions_authorised, l.valid_until::text,
                   (SELECT count(*)::int FROM appointments a
                    WHERE a.practice_id = l.practice_id AND a.client_id = l.client_id
                      AND a.status = ANY(\(AppointmentStatus.allCases.filter(\.countsAsVisit).map(\.rawValue))::text[])
                      AND (\(countBooked) OR a.status = \(AppointmentStatus.completed.rawValue))
                      AND (a.starts_at AT TIME ZONE \(practice.timeZone))::date >= l.letter_date)
            FROM referral_letters l
            WHERE l.practice_id = \(practice.id) AND l.client_id = \(clientID) AND l.kind = 'prescription'
            ORDER BY l.letter_date DESC, l.id DESC LIMIT 1
            """, logger: logger)
        for try await (id, sessions, until, used) in rows.decode((Int64, Int?, String?, Int).self) {
            return PrescriptionLimits(letterID: id, sessionsAuthorised: sessions,
                                      validUntil: try until.map { try CalendarDate(parsing: $0) }, sessionsUsed: used)
        }
        return nil
    }

    static func warnings(clientID: Int64, dates: [CalendarDate], countBooked: Bool, practice: Practice,
                         on connection: PostgresConnection, logger: Logger) async throws -> [Warning] {
        guard let last = dates.max(),
              let limits = try await limits(clientID: clientID, countBooked: countBooked, practice: practice, on: connection, logger: logger)
        else { return [] }
        return limits.warnings(forVisitOn: last)
    }
}
