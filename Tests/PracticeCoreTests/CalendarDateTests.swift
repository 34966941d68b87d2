import Testing
@testable import PracticeCore

@Suite("Calendar dates", .timeLimit(.minutes(5)))
struct CalendarDateTests {
    @Test("valid dates parse and print back", arguments: ["2026-11-25", "2024-02-29", "1900-01-01", "2000-12-31"])
    func roundTrip(_ text: String) throws {
        #expect(try CalendarDate(parsing: text).description == text)
    }

    @Test("impossible dates are refused with the reason",
          arguments: [("2026-02-30", "February 2026 has 28 days"), ("2025-02-29", "February 2025 has 28 days"),
                      ("2026-04-31", "April 2026 has 30 days"), ("2026-13-01", "month 13 does not exist")])
    func impossible(_ text: String, _ reason: String) {
        #expect(throws: DateParseError.outOfRange(reason)) { try CalendarDate(parsing: text) }
    }

    @Test("malformed text is refused", arguments: ["26-11-25", "2026/11/25", "2026-1-5", "yesterday", "", "2026-11-25T10:00"])
    func malformed(_ text: String) {
        #expect(throws: DateParseError.self) { try CalendarDate(parsing: text) }
    }

    @Test func dayArithmeticMatchesTheCalendar() throws {
        let date = try CalendarDate(parsing: "2026-11-25")
        #expect(date.daysSinceEpoch == 20_782)
        #expect(CalendarDate(daysSinceEpoch: date.daysSinceEpoch) == date)
        #expect(date.adding(days: 7).description == "2026-12-02")
        #expect(date.adding(days: -25).description == "2026-10-31")
        #expect(try CalendarDate(parsing: "2024-02-28").adding(days: 1).description == "2024-02-29")
        #expect(date.isoWeekday == 3)  // a Wednesday
        #expect(try CalendarDate(parsing: "1980-11-26").years(until: date) == 45)
        #expect(try CalendarDate(parsing: "1980-11-25").years(until: date) == 46)
    }
}
