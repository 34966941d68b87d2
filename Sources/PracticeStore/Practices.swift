import Logging
import PostgresNIO
import PracticeCore

/// Practices and their evidence policies.
public enum Practices {
    static let columns = """
        SELECT id, name, time_zone, acute_weeks, chronic_weeks, min_visits_per_week, max_visits_per_week,
               sporadic_gap_days, course_cap_sessions, no_improvement_sessions, no_improvement_firm_sessions,
               monthly_reduction_percent, monthly_window_days, session_min_minutes, session_max_minutes,
               max_discomfort, relief_early_min::float8, relief_early_max::float8, relief_mid_min::float8,
               relief_mid_max::float8, course_break_days, npi, tax_id, address, phone
        FROM practices
        """

    public static func create(name: String, timeZone: String, on connection: PostgresConnection,
                              logger: Logger) async throws -> Practice {
        let rows = try await connection.query("""
            INSERT INTO practices (name, time_zone) VALUES (\(name), \(timeZone)) RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) {
            return try await get(id, on: connection, logger: logger)
        }
        throw PracticeError.database("the new practice was not returned")
    }

    public static func setIdentifiers(_ identifiers: BillingIdentifiers, practiceID: Int64, on connection: PostgresConnection,
                                      logger: Logger) async throws {
        try await connection.query("""
            UPDATE practices SET npi = \(identifiers.npi), tax_id = \(identifiers.taxID), address = \(identifiers.address),
                                 phone = \(identifiers.phone)
            WHERE id = \(practiceID)
            """, logger: logger)
    }

    public static func list(on connection: PostgresConnection, logger: Logger) async throws -> [Practice] {
        try await fetch("\(unescaped: columns) ORDER BY id", on: connection, logger: logger)
    }

    public static func get(_ id: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Practice {
        let query: PostgresQuery = "\(unescaped: columns) WHERE id = \(id)"
        guard let practice = try await fetch(query, on: connection, logger: logger).first else {
            throw PracticeError.notFound(entity: "practice", id: String(id))
        }
        return practice
    }

    public static func find(named name: String, on connection: PostgresConnection, logger: Logger) async throws -> Practice? {
        let query: PostgresQuery = "\(unescaped: columns) WHERE name = \(name)"
        return try await fetch(query, on: connection, logger: logger).first
    }

    /// The practice a command works on: the one asked for, or the only one there is.
    public static func resolve(_ requested: Int64?, on connection: PostgresConnection, logger: Logger) async throws -> Practice {
        if let requested { return try await get(requested, on: connection, logger: logger) }
        let all = try await list(on: connection, logger: logger)
        switch all.count {
        case 0:
            throw PracticeError.practiceSelection(
                "no practice yet: create one with `practice setup --name NAME --timezone America/New_York`")
        case 1:
            return all[0]
        default:
            let ids = all.prefix(10).map { "\($0.id) (\($0.name))" }.joined(separator: ", ")
            throw PracticeError.practiceSelection(
                "--practice: this database holds \(all.count) practices; pick one with --practice ID or PRACTICE_ID: \(ids)")
        }
    }

    static func fetch(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [Practice] {
        var practices: [Practice] = []
        let rows = try await connection.query(query, logger: logger)
        for try await (id, name, zone, acute, chronic, minVisits, maxVisits, gap, cap, noImp, noImpFirm, monthly,
                       window, minMinutes, maxMinutes, discomfort, earlyMin, earlyMax, midMin, midMax, courseBreak,
                       npi, taxID, address, phone)
            in rows.decode((Int64, String, String, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int,
                            Double, Double, Double, Double, Int, String?, String?, String?, String?).self) {
            var policy = EvidencePolicy()
            policy.acuteWeeks = acute
            policy.chronicWeeks = chronic
            policy.minVisitsPerWeek = minVisits
            policy.maxVisitsPerWeek = maxVisits
            policy.sporadicGapDays = gap
            policy.courseCapSessions = cap
            policy.noImprovementSessions = noImp
            policy.noImprovementFirmSessions = noImpFirm
            policy.monthlyReductionPercent = monthly
            policy.monthlyWindowDays = window
            policy.sessionMinMinutes = minMinutes
            policy.sessionMaxMinutes = maxMinutes
            policy.maxDiscomfort = discomfort
            policy.reliefEarly = earlyMin...earlyMax
            policy.reliefMid = midMin...midMax
            policy.courseBreakDays = courseBreak
            var practice = Practice(id: id, name: name, timeZone: zone, policy: policy)
            practice.identifiers = BillingIdentifiers(npi: npi, taxID: taxID, address: address, phone: phone)
            practices.append(practice)
        }
        return practices
    }
}
