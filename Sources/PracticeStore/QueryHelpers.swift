import Foundation
import Logging
import PostgresNIO
import PracticeCore

extension PostgresConnection {
    /// Runs a statement whose rows are not wanted, to its end. PostgresNIO hands back a row
    /// sequence as soon as the statement's columns are described, and an error raised while it
    /// runs (in a function or a trigger: `SELECT record_disclosure(…)`) arrives on that sequence:
    /// discarded, the error would be lost, and the transaction silently aborted.
    public func run(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }

    /// Runs an `INSERT … RETURNING id` and gives back the id.
    public func insertReturningID(_ query: PostgresQuery, logger: Logger) async throws -> Int64 {
        for try await id in try await self.query(query, logger: logger).decode(Int64.self) {
            return id
        }
        throw PracticeError.database("the insert returned no id")
    }

    /// The one clock when no other is given: the database's transaction time (`now()` is fixed
    /// for the whole transaction), read as the practice's local date and time.
    public func practiceNow(_ practice: Practice, logger: Logger) async throws -> PracticeNow {
        try await practiceNow(timeZone: practice.timeZone, logger: logger)
    }

    /// The caller's "now" when it has one, else the database's.
    public func practiceNow(_ given: PracticeNow?, _ practice: Practice, logger: Logger) async throws -> PracticeNow {
        if let given { return given }
        return try await practiceNow(practice, logger: logger)
    }

    public func practiceNow(_ given: PracticeNow?, timeZone: String, logger: Logger) async throws -> PracticeNow {
        if let given { return given }
        return try await practiceNow(timeZone: timeZone, logger: logger)
    }

    public func practiceNow(timeZone: String, logger: Logger) async throws -> PracticeNow {
        for try await instant in try await self.query("SELECT now()", logger: logger).decode(Date.self) {
            return PracticeNow(instant: instant, timeZone: timeZone)
        }
        throw PracticeError.database("the database did not tell the time")
    }
}
