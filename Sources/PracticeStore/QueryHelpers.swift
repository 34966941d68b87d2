import Logging
import PostgresNIO
import PracticeCore

extension PostgresConnection {
    /// Runs an `INSERT … RETURNING id` and gives back the id.
    public func insertReturningID(_ query: PostgresQuery, logger: Logger) async throws -> Int64 {
        for try await id in try await self.query(query, logger: logger).decode(Int64.self) {
            return id
        }
        throw PracticeError.database("the insert returned no id")
    }

    /// Today's date in a zone, by the database's clock, so every process agrees on "today".
    func today(in timeZone: String, logger: Logger) async throws -> CalendarDate {
        for try await text in try await self.query("SELECT (now() AT TIME ZONE \(timeZone))::date::text", logger: logger)
            .decode(String.self) {
            return try CalendarDate(parsing: text)
        }
        throw PracticeError.database("no current date")
    }
}

extension PostgresConnection {
    /// Today in the practice's own zone: a booking made at 23:30 in New York is still today there.
    public func todayInPractice(_ practice: Practice, logger: Logger) async throws -> CalendarDate {
        try await today(in: practice.timeZone, logger: logger)
    }
}
