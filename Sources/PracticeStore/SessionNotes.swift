import Foundation
import Logging
import PostgresNIO
import PracticeCore

/// SOAP notes: drafted and edited freely, signed by the treating therapist, then immutable;
/// corrections are addenda. A trigger enforces the same in SQL.
public enum SessionNotes {
    public struct SOAP: Sendable, Codable, Equatable {
        public var subjective: String?
        public var objective: String?
        public var assessment: String?
        public var plan: String?
        public var homeProgram: String?

        public init(subjective: String? = nil, objective: String? = nil, assessment: String? = nil, plan: String? = nil,
                    homeProgram: String? = nil) {
            self.subjective = subjective
            self.objective = objective
            self.assessment = assessment
            self.plan = plan
            self.homeProgram = homeProgram
        }

        var isEmpty: Bool { [subjective, objective, assessment, plan, homeProgram].allSatisfy { $0 == nil } }
    }

    public struct Addendum: Sendable, Codable, Equatable {
        public var id: Int64
        public var authorID: Int64
        public var author: String
        public var reason: String
        public var text: String
        public var createdAt: Date
    }

    public struct Note: Sendable, Codable, Equatable {
        public var id: Int64
        public var appointmentID: Int64
        public var clientID: Int64
        public var clientName: String
        public var therapistID: Int64
        public var therapistName: String
        public var date: CalendarDate
        public var subjective: String
        public var objective: String
        public var assessment: String
        public var plan: String
        public var homeProgram: String?
        public var signedBy: Int64?
        public var signedAt: Date?
        public var addenda: [Addendum]
        public var status: String { signedAt == nil ? "draft" : "signed" }
    }

    public static func draft(appointmentID: Int64, soap: SOAP, practice: Practice, now: PracticeNow? = nil,
                             on connection: PostgresConnection, logger: Logger) async throws -> Note {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        let appointment = try await Scheduling.get(appointmentID, practice: practice, on: connection, logger: logger)
        guard appointment.status == .completed || appointment.status == .checkedIn else {
            throw PracticeError.refused("appointment \(appointmentID) is \(appointment.status.cliName); notes are written for sessions under way or completed")
        }
        let id = try await connection.insertReturningID("""
            INSERT INTO session_notes (practice_id, appointment_id, subjective, objective, assessment, plan, home_program,
                                       created_at, updated_at)
            VALUES (\(practice.id), \(appointmentID), \(soap.subjective ?? ""), \(soap.objective ?? ""), \(soap.assessment ?? ""),
                    \(soap.plan ?? ""), \(soap.homeProgram), \(now.instant), \(now.instant))
            RETURNING id
            """, logger: logger)
        return try await get(id, practice: practice, on: connection, logger: logger)
    }

    public static func edit(_ id: Int64, soap: SOAP, practice: Practice, now: PracticeNow? = nil,
                            on connection: PostgresConnection, logger: Logger) async throws -> Note {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        let note = try await get(id, practice: practice, on: connection, logger: logger, lock: true)
        guard note.signedAt == nil else {
            throw PracticeError.refused("note \(id) is signed and cannot be changed; add a correction with `practice note addendum \(id)`")
        }
        guard !soap.isEmpty else { throw PracticeError.invalid(field: "--subjective", reason: "give at least one section to change") }
        try await connection.query("""
            UPDATE session_notes
            SET subjective = coalesce(\(soap.subjective), subjective), objective = coalesce(\(soap.objective), objective),
                assessment = coalesce(\(soap.assessment), assessment), plan = coalesce(\(soap.plan), plan),
                home_program = coalesce(\(soap.homeProgram), home_program), updated_at = \(now.instant)
            WHERE practice_id = \(practice.id) AND id = \(id)
            """, logger: logger)
        return try await get(id, practice: practice, on: connection, logger: logger)
    }

    /// Signs a draft. The database stamps the signing time; no caller can supply it.
    public static func sign(_ id: Int64, as staffID: Int64, practice: Practice,
                            on connection: PostgresConnection, logger: Logger) async throws -> Note {
        let note = try await get(id, practice: practice, on: connection, logger: logger, lock: true)
        guard note.signedAt == nil else { throw PracticeError.refused("note \(id) is already signed") }
        guard staffID == note.therapistID else {
            throw PracticeError.refused("--as: only the treating therapist, \(note.therapistName) (staff \(note.therapistID)), may sign note \(id)")
        }
        for (field, text) in [("--assessment", note.assessment), ("--plan", note.plan)]
        where text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw PracticeError.invalid(field: field, reason: "is empty; a note is signed with its assessment and plan")
        }
        try await connection.query("""
            UPDATE session_notes SET signed_by = \(staffID) WHERE practice_id = \(practice.id) AND id = \(id)
            """, logger: logger)
        return try await get(id, practice: practice, on: connection, logger: logger)
    }

    public static func addAddendum(to id: Int64, author: Int64, reason: String, text: String, practice: Practice,
                                   on connection: PostgresConnection, logger: Logger) async throws -> Note {
        let note = try await get(id, practice: practice, on: connection, logger: logger)
        guard note.signedAt != nil else {
            throw PracticeError.refused("note \(id) is still a draft; change it with `practice note edit \(id)`")
        }
        for (field, value) in [("--reason", reason), ("--text", text)] where value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw PracticeError.invalid(field: field, reason: "must not be empty")
        }
        do {
            _ = try await StaffRepository.get(author, practiceID: practice.id, on: connection, logger: logger)
        } catch PracticeError.notFound {
            throw PracticeError.invalid(field: "--as", reason: "no staff member \(author) in this practice")
        }
        // The database stamps the addendum's time.
        _ = try await connection.insertReturningID("""
            INSERT INTO note_addenda (practice_id, note_id, author_id, reason, body)
            VALUES (\(practice.id), \(id), \(author), \(reason), \(text)) RETURNING id
            """, logger: logger)
        return try await get(id, practice: practice, on: connection, logger: logger)
    }

    public static func get(_ id: Int64, practice: Practice, on connection: PostgresConnection, logger: Logger,
                           lock: Bool = false) async throws -> Note {
        guard let note = try await list(.note(id), practice: practice, on: connection, logger: logger, lock: lock).first else {
            throw PracticeError.notFound(entity: "note", id: String(id))
        }
        return note
    }

    public enum Selection: Sendable {
        case note(Int64)
        case client(Int64)
        case appointment(Int64)
    }

    public static func list(_ selection: Selection, practice: Practice, on connection: PostgresConnection, logger: Logger,
                            lock: Bool = false) async throws -> [Note] {
        let (noteID, clientID, appointmentID): (Int64?, Int64?, Int64?) = switch selection {
        case .note(let id): (id, nil, nil)
        case .client(let id): (nil, id, nil)
        case .appointment(let id): (nil, nil, id)
        }
        let rows = try await connection.query("""
            SELECT n.id, n.appointment_id, a.client_id, c.name, a.therapist_id, s.name,
                   to_char(a.starts_at AT TIME ZONE \(practice.timeZone), 'YYYY-MM-DD'),
                   n.subjective, n.objective, n.assessment, n.plan, n.home_program, n.signed_by, n.signed_at
            FROM session_notes n
            JOIN appointments a ON a.practice_id = n.practice_id AND a.id = n.appointment_id
            JOIN clients c ON c.practice_id = a.practice_id AND c.id = a.client_id
            JOIN staff s ON s.practice_id = a.practice_id AND s.id = a.therapist_id
            WHERE n.practice_id = \(practice.id)
              AND (\(noteID)::bigint IS NULL OR n.id = \(noteID))
              AND (\(clientID)::bigint IS NULL OR a.client_id = \(clientID))
              AND (\(appointmentID)::bigint IS NULL OR n.appointment_id = \(appointmentID))
            ORDER BY a.starts_at, n.id
            \(unescaped: lock ? "FOR UPDATE OF n" : "")
            """, logger: logger)
        var notes: [Note] = []
        for try await (id, appointment, client, clientName, therapist, therapistName, date, s, o, a, p, home, signedBy, signedAt)
            in rows.decode((Int64, Int64, Int64, String, Int64, String, String, String, String, String, String, String?, Int64?, Date?).self) {
            notes.append(Note(id: id, appointmentID: appointment, clientID: client, clientName: clientName, therapistID: therapist,
                              therapistName: therapistName, date: try CalendarDate(parsing: date), subjective: s, objective: o,
                              assessment: a, plan: p, homeProgram: home, signedBy: signedBy, signedAt: signedAt, addenda: []))
        }
        guard !notes.isEmpty else { return notes }
        let addenda = try await connection.query("""
            SELECT d.id, d.note_id, d.author_id, s.name, d.reason, d.body, d.created_at
            FROM note_addenda d JOIN staff s ON s.practice_id = d.practice_id AND s.id = d.author_id
            WHERE d.practice_id = \(practice.id) AND d.note_id = ANY(\(notes.map(\.id)))
            ORDER BY d.created_at, d.id
            """, logger: logger)
        var byNote: [Int64: [Addendum]] = [:]
        for try await (id, note, author, name, reason, body, at) in addenda.decode((Int64, Int64, Int64, String, String, String, Date).self) {
            byNote[note, default: []].append(Addendum(id: id, authorID: author, author: name, reason: reason, text: body, createdAt: at))
        }
        return notes.map { var note = $0; note.addenda = byNote[note.id] ?? []; return note }
    }
}
