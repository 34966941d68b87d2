import Logging
import PostgresNIO
import PracticeCore

public enum StaffRepository {
    static let columns = "SELECT id, name, role, msk_years::float8, email, active FROM staff"

    public static func add(_ new: NewStaffMember, practiceID: Int64, on connection: PostgresConnection,
                           logger: Logger) async throws -> StaffMember {
        let id = try await connection.insertReturningID("""
            INSERT INTO staff (practice_id, name, role, msk_years, email)
            VALUES (\(practiceID), \(new.name), \(new.role.rawValue), \(new.mskYears), \(new.email))
            RETURNING id
            """, logger: logger)
        return try await get(id, practiceID: practiceID, on: connection, logger: logger)
    }

    public static func setIdentifiers(_ staffID: Int64, npi: String?, license: String?, practiceID: Int64,
                                      on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE staff SET npi = \(npi), license = \(license) WHERE practice_id = \(practiceID) AND id = \(staffID)
            """, logger: logger)
    }

    /// A therapist's NPI and license, for superbills.
    public static func identifiers(_ staffID: Int64, practiceID: Int64, on connection: PostgresConnection,
                                   logger: Logger) async throws -> BillingIdentifiers {
        for try await (npi, license) in try await connection.query(
            "SELECT npi, license FROM staff WHERE practice_id = \(practiceID) AND id = \(staffID)", logger: logger
        ).decode((String?, String?).self) {
            return BillingIdentifiers(npi: npi, license: license)
        }
        throw PracticeError.notFound(entity: "staff member", id: String(staffID))
    }

    public static func list(practiceID: Int64, role: StaffRole? = nil, on connection: PostgresConnection,
                            logger: Logger) async throws -> [StaffMember] {
        try await fetch("""
            \(unescaped: columns) WHERE practice_id = \(practiceID) AND (\(role?.rawValue)::text IS NULL OR role = \(role?.rawValue))
            ORDER BY id
            """, on: connection, logger: logger)
    }

    public static func get(_ id: Int64, practiceID: Int64, on connection: PostgresConnection,
                           logger: Logger) async throws -> StaffMember {
        guard let member = try await fetch("\(unescaped: columns) WHERE practice_id = \(practiceID) AND id = \(id)",
                                           on: connection, logger: logger).first
        else { throw PracticeError.notFound(entity: "staff member", id: String(id)) }
        return member
    }

    /// A staff member who must be a therapist, e.g. a client's primary therapist.
    public static func therapist(_ id: Int64, field: String, practiceID: Int64, on connection: PostgresConnection,
                                 logger: Logger) async throws -> StaffMember {
        let member: StaffMember
        do {
            member = try await get(id, practiceID: practiceID, on: connection, logger: logger)
        } catch PracticeError.notFound {
            throw PracticeError.invalid(field: field, reason: "no staff member \(id) in this practice")
        }
        guard member.role == .therapist else {
            throw PracticeError.invalid(field: field, reason: "staff member \(id) is \(member.role.cliName), not a therapist")
        }
        return member
    }

    static func fetch(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [StaffMember] {
        var result: [StaffMember] = []
        for try await (id, name, role, years, email, active) in try await connection.query(query, logger: logger)
            .decode((Int64, String, String, Double?, String?, Bool).self) {
            result.append(StaffMember(id: id, name: name, role: try known(role, as: StaffRole.self, in: "staff member \(id)"),
                                      mskYears: years, email: email, active: active))
        }
        return result
    }
}

/// Which client a record belongs to and whether a therapist treats that client: what the HTTP
/// API's roles are decided on.
public enum CareTeam {
    public enum Record: Sendable, Equatable {
        case client(Int64)
        case appointment(Int64)
        case note(Int64)
        case letter(Int64)
    }

    /// The client a record belongs to, or nil when there is no such record in this practice.
    public static func client(of record: Record, practiceID: Int64, on connection: PostgresConnection,
                              logger: Logger) async throws -> Int64? {
        let query: PostgresQuery = switch record {
        case .client(let id): "SELECT id FROM clients WHERE practice_id = \(practiceID) AND id = \(id)"
        case .appointment(let id): "SELECT client_id FROM appointments WHERE practice_id = \(practiceID) AND id = \(id)"
        case .note(let id): """
            SELECT a.client_id FROM session_notes AS n
            JOIN appointments AS a ON a.practice_id = n.practice_id AND a.id = n.appointment_id
            WHERE n.practice_id = \(practiceID) AND n.id = \(id)
            """
        case .letter(let id): "SELECT client_id FROM referral_letters WHERE practice_id = \(practiceID) AND id = \(id)"
        }
        for try await id in try await connection.query(query, logger: logger).decode(Int64.self) { return id }
        return nil
    }

    /// A therapist treats a client they are primary for or have a visit with (any status but cancelled).
    public static func treats(therapistID: Int64, clientID: Int64, practiceID: Int64, on connection: PostgresConnection,
                              logger: Logger) async throws -> Bool {
        for try await treats in try await connection.query("""
            SELECT EXISTS (SELECT 1 FROM clients WHERE practice_id = \(practiceID) AND id = \(clientID)
                                                   AND primary_therapist_id = \(therapistID))
                OR EXISTS (SELECT 1 FROM appointments WHERE practice_id = \(practiceID) AND client_id = \(clientID)
                                                        AND therapist_id = \(therapistID) AND status <> 'cancelled')
            """, logger: logger).decode(Bool.self) {
            return treats
        }
        return false
    }
}
