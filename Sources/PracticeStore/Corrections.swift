import Foundation
import Logging
import PostgresNIO
import PracticeCore

/// Pain reports, pressure feedback and screenings are append-only: the database refuses to
/// change or delete them. A mistake is put right by a correction, a new row that supersedes the
/// old one and says who corrected it and why. The old row stays; reports and the check read the
/// newest row of each chain.
public enum Corrections {
    public struct Correction: Sendable, Codable, Equatable {
        public var id: Int64
        public var supersedes: Int64
        public var correctedBy: Int64
        public var reason: String
    }

    /// A pain score recorded as it was written, with whether a later row corrects it.
    public struct PainEntry: Sendable, Codable, Equatable {
        public var id: Int64
        public var appointmentID: Int64?
        public var source: String
        public var score: Int
        public var reportedAt: Date
        public var supersedes: Int64?
        public var supersededBy: Int64?
        public var correctionReason: String?
    }

    /// Every pain report of a client, corrected ones included, oldest first.
    public static func painHistory(clientID: Int64, practice: Practice, on connection: PostgresConnection,
                                   logger: Logger) async throws -> [PainEntry] {
        _ = try await ClientRepository.get(clientID, practiceID: practice.id, on: connection, logger: logger)
        let rows = try await connection.query("""
            SELECT r.id, r.appointment_id, r.source, r.score::int, r.reported_at, r.supersedes_id, n.id, r.correction_reason
            FROM pain_reports r
            LEFT JOIN pain_reports n ON n.practice_id = r.practice_id AND n.supersedes_id = r.id
            WHERE r.practice_id = \(practice.id) AND r.client_id = \(clientID)
            ORDER BY r.reported_at, r.id
            """, logger: logger)
        var entries: [PainEntry] = []
        for try await (id, appointment, source, score, at, supersedes, next, reason)
            in rows.decode((Int64, Int64?, String, Int, Date, Int64?, Int64?, String?).self) {
            entries.append(PainEntry(id: id, appointmentID: appointment, source: source, score: score, reportedAt: at,
                                     supersedes: supersedes, supersededBy: next, correctionReason: reason))
        }
        return entries
    }

    /// Corrects a pain score: same client, visit, phase and time; a new score.
    public static func correctPain(_ id: Int64, score: Int, reason: String, by staffID: Int64, practice: Practice,
                                   now: PracticeNow? = nil, on connection: PostgresConnection, logger: Logger) async throws -> Correction {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        try PainScore.check(score, field: "--score")
        try await checkCorrectable("pain_reports", noun: "pain report", id: id, reason: reason, by: staffID, practice: practice,
                                   on: connection, logger: logger)
        let newID = try await connection.insertReturningID("""
            INSERT INTO pain_reports (practice_id, client_id, appointment_id, source, score, reported_at, created_at,
                                      supersedes_id, corrected_by, correction_reason)
            SELECT practice_id, client_id, appointment_id, source, \(score), reported_at, \(now.instant), id, \(staffID), \(reason)
            FROM pain_reports WHERE practice_id = \(practice.id) AND id = \(id)
            RETURNING id
            """, logger: logger)
        return Correction(id: newID, supersedes: id, correctedBy: staffID, reason: reason)
    }

    /// Corrects pressure feedback: any of pressure, discomfort and action; the rest is kept.
    public static func correctFeedback(_ id: Int64, pressure: Int?, discomfort: Int?, action: PressureAction?, reason: String,
                                       by staffID: Int64, practice: Practice, now: PracticeNow? = nil,
                                       on connection: PostgresConnection, logger: Logger) async throws -> Correction {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        guard pressure != nil || discomfort != nil || action != nil else {
            throw PracticeError.invalid(field: "--pressure", reason: "give at least one of --pressure, --discomfort or --action to correct")
        }
        for (field, value) in [("--pressure", pressure), ("--discomfort", discomfort)] {
            if let value { try PainScore.check(value, field: field) }
        }
        try await checkCorrectable("pressure_feedback", noun: "pressure feedback", id: id, reason: reason, by: staffID,
                                   practice: practice, on: connection, logger: logger)
        let newID = try await connection.insertReturningID("""
            INSERT INTO pressure_feedback (practice_id, appointment_id, region, pressure, discomfort, action, note,
                                           recorded_at, created_at, supersedes_id, corrected_by, correction_reason)
            SELECT practice_id, appointment_id, region, coalesce(\(pressure)::smallint, pressure),
                   coalesce(\(discomfort)::smallint, discomfort), coalesce(\(action?.rawValue), action), note,
                   recorded_at, \(now.instant), id, \(staffID), \(reason)
            FROM pressure_feedback WHERE practice_id = \(practice.id) AND id = \(id)
            RETURNING id
            """, logger: logger)
        return Correction(id: newID, supersedes: id, correctedBy: staffID, reason: reason)
    }

    /// Corrects a screening's answers: same client and day asked. A screening with a clearance on
    /// file is not corrected (the clearance answers that screening); record a new one instead.
    public static func correctScreening(_ id: Int64, answers: ScreeningAnswers, reason: String, by staffID: Int64,
                                        practice: Practice, now: PracticeNow? = nil, on connection: PostgresConnection,
                                        logger: Logger) async throws -> Correction {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        try await checkCorrectable("screenings", noun: "screening", id: id, reason: reason, by: staffID, practice: practice,
                                   on: connection, logger: logger)
        let cleared = try await connection.query("""
            SELECT count(*)::int FROM clearances WHERE practice_id = \(practice.id) AND screening_id = \(id)
            """, logger: logger).decode(Int.self).reduce(0, +)
        guard cleared == 0 else {
            throw PracticeError.refused("screening \(id) has a physician's clearance on file; record a new screening instead of correcting it")
        }
        let newID = try await connection.insertReturningID("""
            INSERT INTO screenings (practice_id, client_id, weight_loss_or_fever, bilateral_numbness_or_bowel_bladder,
                                    cancer_or_major_trauma, night_pain, leg_numbness, screened_by, screened_at, recorded_at,
                                    supersedes_id, corrected_by, correction_reason)
            SELECT practice_id, client_id, \(answers.weightLossOrFever), \(answers.bilateralNumbnessOrBowelBladder),
                   \(answers.cancerOrMajorTrauma), \(answers.nightPain), \(answers.legNumbness), screened_by, screened_at,
                   \(now.instant), id, \(staffID), \(reason)
            FROM screenings WHERE practice_id = \(practice.id) AND id = \(id)
            RETURNING id
            """, logger: logger)
        return Correction(id: newID, supersedes: id, correctedBy: staffID, reason: reason)
    }

    /// The row exists in this practice, is the newest of its chain, and the correction names its
    /// author and a reason: the same rules the database enforces, said in words first. (Two
    /// simultaneous corrections of one row: the unique index on supersedes_id lets one win.)
    static func checkCorrectable(_ table: String, noun: String, id: Int64, reason: String, by staffID: Int64,
                                 practice: Practice, on connection: PostgresConnection, logger: Logger) async throws {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw PracticeError.invalid(field: "--reason", reason: "a correction says why; it must not be empty")
        }
        do {
            _ = try await StaffRepository.get(staffID, practiceID: practice.id, on: connection, logger: logger)
        } catch PracticeError.notFound {
            throw PracticeError.invalid(field: "--by", reason: "no staff member \(staffID) in this practice")
        }
        let rows = try await connection.query("""
            SELECT (SELECT n.id FROM \(unescaped: table) n WHERE n.practice_id = r.practice_id AND n.supersedes_id = r.id)
            FROM \(unescaped: table) r WHERE r.practice_id = \(practice.id) AND r.id = \(id)
            """, logger: logger)
        var found = false
        for try await next in rows.decode(Int64?.self) {
            found = true
            if let next { throw PracticeError.refused("\(noun) \(id) was already corrected by \(next); correct \(next) instead") }
        }
        guard found else { throw PracticeError.notFound(entity: noun, id: String(id)) }
    }
}
