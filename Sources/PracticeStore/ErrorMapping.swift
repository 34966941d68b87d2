import PostgresNIO
import PracticeCore

/// Turns what PostgreSQL refuses into a `PracticeError` a person understands.
///
/// The Swift code checks the same invariants first, so these messages are the last line:
/// they fire on a race, or on a rule only the database can see (an overlap, a duplicate).
public enum DatabaseErrors {
    /// SQLSTATE classes we map: unique_violation, foreign_key_violation, check_violation,
    /// exclusion_violation, not_null_violation, raise_exception (our triggers).
    public static func map(_ error: any Error) -> any Error {
        var error = error
        if let transactionError = error as? PostgresTransactionError {
            error = transactionError.closureError ?? transactionError.beginError
                ?? transactionError.commitError ?? transactionError.rollbackError ?? error
        }
        if error is PracticeError { return error }
        guard let psql = error as? PSQLError else {
            if String(reflecting: type(of: error)).contains("ConnectionPoolError") {
                return PracticeError.unavailable("cannot connect to PostgreSQL; check DATABASE_URL, or `practice db status`")
            }
            return error
        }
        guard psql.code == .server, let info = psql.serverInfo else {
            return PracticeError.unavailable(
                "lost the connection to PostgreSQL, or could not open one; nothing of this command was saved. "
                + "Is it running? Try `practice db status`")
        }
        let state = info[.sqlState] ?? ""
        let constraint = info[.constraintName] ?? ""
        let message = info[.message] ?? "database error"
        switch state {
        case "23505":
            return PracticeError.duplicate(uniqueMessages[constraint] ?? "that would duplicate an existing record (\(constraint))")
        case "23503":
            return PracticeError.invalid(field: foreignKeyFields[constraint] ?? words(constraint, table: info[.tableName]),
                                         reason: "refers to a record that does not exist in this practice")
        case "23514":
            return PracticeError.invalid(field: checkFields[constraint] ?? words(constraint, table: info[.tableName]),
                                         reason: "is out of the allowed range")
        case "23P01":
            return PracticeError.conflict(exclusionMessages[constraint] ?? "overlaps another appointment (\(constraint))")
        case "23502":
            return PracticeError.invalid(field: info[.columnName] ?? "a required field", reason: "is required")
        case "P0001":
            return PracticeError.refused(message)
        case "22007", "22008":
            return PracticeError.invalid(field: "date", reason: message)
        case "55P03":
            return PracticeError.conflict("another user is changing the same record right now; nothing was saved, try again")
        case "25006":
            // A hot standby: DATABASE_URL (or a write) reached the read replica.
            return PracticeError.unavailable(
                "the database is a read-only replica, which takes no writes; point DATABASE_URL at the primary "
                + "(DATABASE_READ_URL is the replica's place); nothing was saved")
        case "57014":
            return PracticeError.refused("the database took longer than this command's time limit; nothing was saved")
        case "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004":
            // The server is shutting down, restarting or refusing connections.
            return PracticeError.unavailable("PostgreSQL is not available (\(message)); nothing of this command was saved")
        default:
            return PracticeError.database("unexpected database error: \(message) (SQLSTATE \(state)); nothing was saved")
        }
    }

    /// A constraint's name said in words: `appointments_minutes_treated_check` → "minutes treated".
    static func words(_ constraint: String, table: String?) -> String {
        var name = Substring(constraint)
        if let table, name.hasPrefix(table + "_") { name = name.dropFirst(table.count + 1) }
        for suffix in ["_check", "_fkey", "_key"] where name.hasSuffix(suffix) { name = name.dropLast(suffix.count) }
        let text = name.replacingOccurrences(of: "practice_id_", with: "").replacingOccurrences(of: "_", with: " ")
        return text.isEmpty ? "a value" : text
    }

    static let uniqueMessages: [String: String] = [
        "practices_name_key": "a practice with that name already exists",
        "staff_practice_id_name_key": "a staff member with that name already exists in this practice",
        "providers_practice_id_npi_key": "a provider with that NPI already exists in this practice",
        "clients_practice_id_name_dob_key": "a client with that name and date of birth already exists in this practice",
        "clearances_one_per_screening": "that screening already has a clearance on file",
        "session_notes_one_per_appointment": "that appointment already has a note",
        "pain_reports_one_per_phase": "that session already has a pain score for that phase",
    ]

    static let foreignKeyFields: [String: String] = [
        "clients_primary_therapist_fkey": "--therapist",
        "screenings_practice_id_client_id_fkey": "CLIENT",
        "screenings_practice_id_screened_by_fkey": "--by",
        "clearances_practice_id_provider_id_provider_kind_fkey": "--provider",
        "clearances_practice_id_client_id_fkey": "CLIENT",
        "appointments_practice_id_client_id_fkey": "CLIENT",
        "appointments_practice_id_therapist_id_therapist_role_fkey": "--therapist",
        "referral_letters_practice_id_provider_id_fkey": "--provider",
        "referral_letters_practice_id_client_id_fkey": "CLIENT",
    ]

    static let checkFields: [String: String] = [
        "clients_pain_onset_after_birth": "--pain-onset",
        "pain_reports_score_check": "--score",
        "pressure_feedback_discomfort_check": "--discomfort",
        "pressure_feedback_pressure_check": "--pressure",
        "staff_msk_years_check": "--msk-years",
        "providers_npi_check": "--npi",
        "appointments_time_order": "--minutes",
    ]

    static let exclusionMessages: [String: String] = [
        "appointments_therapist_no_overlap": "the therapist already has an appointment at that time",
        "appointments_client_no_overlap": "the client already has an appointment at that time",
    ]
}
