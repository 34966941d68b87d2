import Foundation
import Logging
import PostgresNIO
import PracticeCore

public enum ClientRepository {
    static let columns = """
        SELECT id, name, date_of_birth::text, phone, email, pain_onset::text, primary_therapist_id, active FROM clients
        """

    public static func add(_ new: NewClient, practiceID: Int64, now: PracticeNow? = nil, on connection: PostgresConnection,
                           logger: Logger) async throws -> Client {
        let created = try await connection.practiceNow(now, timeZone: "UTC", logger: logger).instant
        if let therapist = new.primaryTherapistID {
            _ = try await StaffRepository.therapist(therapist, field: "--therapist", practiceID: practiceID,
                                                    on: connection, logger: logger)
        }
        let id = try await connection.insertReturningID("""
            INSERT INTO clients (practice_id, name, date_of_birth, phone, email, pain_onset, primary_therapist_id, created_at)
            VALUES (\(practiceID), \(new.name), \(new.dateOfBirth.description)::date, \(new.phone), \(new.email),
                    \(new.painOnset.description)::date, \(new.primaryTherapistID), \(created))
            RETURNING id
            """, logger: logger)
        return try await get(id, practiceID: practiceID, on: connection, logger: logger)
    }

    /// Clients whose name, phone or email contains `search` (case-insensitive), or all of them.
    /// Discharged clients are left out unless `includeDischarged`.
    public static func list(practiceID: Int64, search: String? = nil, includeDischarged: Bool = true,
                            on connection: PostgresConnection, logger: Logger) async throws -> [Client] {
        guard let search else {
            return try await fetch("""
                \(unescaped: columns) WHERE practice_id = \(practiceID) AND (\(includeDischarged) OR active) ORDER BY name, id
                """, on: connection, logger: logger)
        }
        let pattern = "%" + search.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
        // Three characters or more: only the clients that have every three-character piece of the
        // text (client_search_grams, by its key: row-level security lets no ILIKE use an index),
        // found from the rarest piece, then ILIKE on those. Shorter texts scan the practice's clients.
        guard search.unicodeScalars.count >= 3 else {
            return try await fetch("""
                \(unescaped: columns) WHERE practice_id = \(practiceID)
                  AND (name ILIKE \(pattern) OR phone ILIKE \(pattern) OR email ILIKE \(pattern))
                  AND (\(includeDischarged) OR active)
                ORDER BY name, id
                """, on: connection, logger: logger)
        }
        return try await fetch("""
            WITH q AS MATERIALIZED (
                -- Pieces that cover the text without overlapping (and the last one): a match
                -- needs all of them too, and fewer pieces read fewer index entries. Lower-cased
                -- as client_grams does for the stored ones.
                SELECT ARRAY(SELECT DISTINCT substr(t.t, i, 3) COLLATE "C"
                             FROM (SELECT lower(\(search)::text) AS t) AS t, generate_series(1, length(t.t) - 2) AS i
                             WHERE (i - 1) % 3 = 0 OR i = length(t.t) - 2) AS grams
            ),
            sized AS MATERIALIZED (
                -- How many clients have each piece, counted up to 64 (a bounded read, whatever the
                -- practice's size): the rarest piece gives the candidates.
                SELECT qg.gram, (SELECT count(*) FROM (SELECT 1 FROM client_search_grams g
                                                       WHERE g.practice_id = \(practiceID) AND g.gram = qg.gram
                                                       LIMIT 64) AS x) AS n
                FROM q, unnest(q.grams) AS qg(gram)
            ),
            candidates AS MATERIALIZED (
                -- The clients with the rarest piece that also have every other one, each looked
                -- up by the table's key: no list of a common piece is read whole.
                SELECT g.client_id FROM client_search_grams g
                WHERE g.practice_id = \(practiceID) AND g.gram = (SELECT gram FROM sized ORDER BY n, gram LIMIT 1)
                  AND NOT EXISTS (SELECT 1 FROM sized s
                                  WHERE NOT EXISTS (SELECT 1 FROM client_search_grams x
                                                    WHERE x.practice_id = \(practiceID) AND x.gram = s.gram
                                                      AND x.client_id = g.client_id))
            )
            \(unescaped: columns) WHERE practice_id = \(practiceID) AND id IN (SELECT client_id FROM candidates)
              AND (name ILIKE \(pattern) OR phone ILIKE \(pattern) OR email ILIKE \(pattern))
              AND (\(includeDischarged) OR active)
            ORDER BY name, id
            """, on: connection, logger: logger)
    }

    public static func get(_ id: Int64, practiceID: Int64, on connection: PostgresConnection,
                           logger: Logger) async throws -> Client {
        guard let client = try await fetch("\(unescaped: columns) WHERE practice_id = \(practiceID) AND id = \(id)",
                                           on: connection, logger: logger).first
        else { throw PracticeError.notFound(entity: "client", id: String(id)) }
        return client
    }

    static func fetch(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [Client] {
        var result: [Client] = []
        for try await (id, name, dob, phone, email, onset, therapist, active) in try await connection.query(query, logger: logger)
            .decode((Int64, String, String, String?, String?, String, Int64?, Bool).self) {
            result.append(Client(id: id, name: name, dateOfBirth: try CalendarDate(parsing: dob), phone: phone,
                                 email: email, painOnset: try CalendarDate(parsing: onset),
                                 primaryTherapistID: therapist, active: active))
        }
        return result
    }
}

/// Everything the front desk sees on `client show`.
public struct ClientProfile: Sendable, Codable {
    public var client: Client
    public var primaryTherapist: String?
    public var ageYears: Int
    public var painDuration: PainDuration
    public var painDays: Int
    public var screening: Screening?
    public var clearance: Clearance?
    public var screeningState: ScreeningStatus
    public var screeningSummary: String
    public var mayBook: Bool
    /// The open discharge, if the client's care here has ended.
    public var discharge: Discharge?
    public var warnings: [Warning]

    public static func load(clientID: Int64, practice: Practice, now: PracticeNow? = nil, on connection: PostgresConnection,
                            logger: Logger) async throws -> ClientProfile {
        let client = try await ClientRepository.get(clientID, practiceID: practice.id, on: connection, logger: logger)
        let today = try await connection.practiceNow(now, practice, logger: logger).today
        let discharge = try await Discharges.open(clientID: clientID, practiceID: practice.id, on: connection, logger: logger)
        let therapist: String? = if let id = client.primaryTherapistID {
            try await StaffRepository.get(id, practiceID: practice.id, on: connection, logger: logger).name
        } else { nil }
        let screening = try await ScreeningRepository.latest(clientID: clientID, practiceID: practice.id,
                                                             on: connection, logger: logger)
        let clearance: Clearance? = if let screening {
            try await ScreeningRepository.clearance(screeningID: screening.id, practiceID: practice.id,
                                                    on: connection, logger: logger)
        } else { nil }
        let state = ScreeningState.from(latest: screening, clearance: clearance)
        let duration = PainDuration.classify(onset: client.painOnset, asOf: today, policy: practice.policy)
        var warnings: [Warning] = []
        if case .needsClearance = state { warnings.append(Warning(.redFlagUncleared, rule: .redFlags, state.summary)) }
        if case .notScreened = state { warnings.append(Warning(.notScreened, state.summary)) }
        if let acute = acutePainWarning(duration: duration, answers: screening?.answers) { warnings.append(acute) }
        return ClientProfile(client: client, primaryTherapist: therapist,
                             ageYears: client.dateOfBirth.years(until: today), painDuration: duration,
                             painDays: client.painOnset.days(until: today), screening: screening, clearance: clearance,
                             screeningState: state.code, screeningSummary: state.summary,
                             mayBook: state.mayBook && discharge == nil, discharge: discharge, warnings: warnings)
    }
}
