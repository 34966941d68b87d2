import Logging
import PostgresNIO
import PracticeCore

/// Red-flag screenings and the physicians' clearances that lift their booking hold.
public enum ScreeningRepository {
    static let columns = """
        SELECT id, client_id, weight_loss_or_fever, bilateral_numbness_or_bowel_bladder, cancer_or_major_trauma,
               night_pain, leg_numbness, screened_by, to_char(screened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        FROM screenings
        """

    /// `screenedOn`: the day the questions were asked, for history entered after the fact (stamped
    /// at local noon, or now if that is earlier); nil means now.
    public static func record(clientID: Int64, answers: ScreeningAnswers, screenedBy: Int64?, screenedOn: CalendarDate? = nil,
                              practiceID: Int64, now: PracticeNow? = nil, on connection: PostgresConnection,
                              logger: Logger) async throws -> Screening {
        let now = try await connection.practiceNow(now, timeZone: "UTC", logger: logger)
        if let screenedOn, screenedOn > now.today {
            throw PracticeError.invalid(field: "--date", reason: "\(screenedOn) is in the future")
        }
        let screenedAt = screenedOn.map {
            min(LocalTime.resolve(date: $0, hour: 12, minute: 0, timeZone: now.timeZone).instant, now.instant)
        } ?? now.instant
        _ = try await ClientRepository.get(clientID, practiceID: practiceID, on: connection, logger: logger)
        if let screenedBy {
            do {
                _ = try await StaffRepository.get(screenedBy, practiceID: practiceID, on: connection, logger: logger)
            } catch PracticeError.notFound {
                throw PracticeError.invalid(field: "--by", reason: "no staff member \(screenedBy) in this practice")
            }
        }
        let id = try await connection.insertReturningID("""
            INSERT INTO screenings (practice_id, client_id, weight_loss_or_fever, bilateral_numbness_or_bowel_bladder,
                                    cancer_or_major_trauma, night_pain, leg_numbness, screened_by, screened_at, recorded_at)
            VALUES (\(practiceID), \(clientID), \(answers.weightLossOrFever), \(answers.bilateralNumbnessOrBowelBladder),
                    \(answers.cancerOrMajorTrauma), \(answers.nightPain), \(answers.legNumbness), \(screenedBy),
                    \(screenedAt), \(now.instant))
            RETURNING id
            """, logger: logger)
        return try await fetch("\(unescaped: columns) WHERE practice_id = \(practiceID) AND id = \(id)",
                               on: connection, logger: logger)[0]
    }

    public static func latest(clientID: Int64, practiceID: Int64, on connection: PostgresConnection,
                              logger: Logger) async throws -> Screening? {
        try await fetch("""
            \(unescaped: columns) WHERE practice_id = \(practiceID) AND client_id = \(clientID)
              AND NOT EXISTS (SELECT 1 FROM screenings x WHERE x.practice_id = screenings.practice_id AND x.supersedes_id = screenings.id)
            ORDER BY screened_at DESC, id DESC LIMIT 1
            """, on: connection, logger: logger).first
    }

    public static func clearance(screeningID: Int64, practiceID: Int64, on connection: PostgresConnection,
                                 logger: Logger) async throws -> Clearance? {
        let rows = try await connection.query("""
            SELECT id, client_id, screening_id, provider_id, cleared_on::text, note FROM clearances
            WHERE practice_id = \(practiceID) AND screening_id = \(screeningID)
            """, logger: logger)
        for try await (id, client, screening, provider, date, note) in rows.decode((Int64, Int64, Int64, Int64, String, String?).self) {
            return Clearance(id: id, clientID: client, screeningID: screening, providerID: provider,
                             clearedOn: try CalendarDate(parsing: date), note: note)
        }
        return nil
    }

    /// Records a physician's clearance against the client's latest red-flag screening.
    /// Clearances are dated the day the physician cleared the client: not in the future.
    public static func clear(clientID: Int64, providerID: Int64, date: CalendarDate, note: String?, letterID: Int64? = nil,
                             practiceID: Int64, now: PracticeNow? = nil, on connection: PostgresConnection,
                             logger: Logger) async throws -> Clearance {
        let now = try await connection.practiceNow(now, timeZone: "UTC", logger: logger)
        guard date <= now.today else { throw PracticeError.invalid(field: "--date", reason: "\(date) is in the future") }
        _ = try await ClientRepository.get(clientID, practiceID: practiceID, on: connection, logger: logger)
        guard let screening = try await latest(clientID: clientID, practiceID: practiceID, on: connection, logger: logger) else {
            throw PracticeError.refused("client \(clientID) has no screening to clear; record one with `practice screening record`")
        }
        guard screening.answers.hasRedFlag else {
            throw PracticeError.refused("client \(clientID)'s latest screening has no red flag; there is nothing to clear")
        }
        let provider: Provider
        do {
            provider = try await ProviderRepository.get(providerID, practiceID: practiceID, on: connection, logger: logger)
        } catch PracticeError.notFound {
            throw PracticeError.invalid(field: "--provider", reason: "no provider \(providerID) in this practice")
        }
        guard provider.kind.canClearRedFlags else {
            throw PracticeError.invalid(field: "--provider",
                                        reason: "provider \(providerID) is a \(provider.kind.cliName); a red-flag clearance must come from a physician")
        }
        let id = try await connection.insertReturningID("""
            INSERT INTO clearances (practice_id, client_id, screening_id, provider_id, provider_kind, cleared_on, note, letter_id,
                                    created_at)
            VALUES (\(practiceID), \(clientID), \(screening.id), \(providerID), \(provider.kind.rawValue),
                    \(date.description)::date, \(note), \(letterID), \(now.instant))
            RETURNING id
            """, logger: logger)
        return Clearance(id: id, clientID: clientID, screeningID: screening.id, providerID: providerID, clearedOn: date, note: note)
    }

    static func fetch(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [Screening] {
        var result: [Screening] = []
        for try await (id, client, weight, bilateral, cancer, night, leg, by, at) in try await connection.query(query, logger: logger)
            .decode((Int64, Int64, Bool, Bool, Bool, Bool?, Bool?, Int64?, String).self) {
            result.append(Screening(id: id, clientID: client,
                                    answers: ScreeningAnswers(weightLossOrFever: weight, bilateralNumbnessOrBowelBladder: bilateral,
                                                              cancerOrMajorTrauma: cancer, nightPain: night, legNumbness: leg),
                                    screenedBy: by, screenedAt: at))
        }
        return result
    }
}
