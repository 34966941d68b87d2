import Foundation
import Testing
@testable import PracticeCore

@Suite("Weekly series across daylight-saving changes", .timeLimit(.minutes(5)))
struct WeeklyRecurrenceTests {
    func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    @Test func newYorkTuesdaysStayAtTenAcrossNovemberFirst() throws {
        let rule = try WeeklyRecurrence(weekdays: [2], hour: 10, minute: 0, timeZone: "America/New_York",
                                        startsOn: CalendarDate(parsing: "2026-10-20"), end: .count(3))
        let visits = rule.occurrences()
        #expect(visits.map(\.date.description) == ["2026-10-20", "2026-10-27", "2026-11-03"])
        // 10:00 EDT is 14:00Z; after 2026-11-01, 10:00 EST is 15:00Z.
        #expect(visits.map { iso($0.start) } == ["2026-10-20T14:00:00Z", "2026-10-27T14:00:00Z", "2026-11-03T15:00:00Z"])
        #expect(visits.allSatisfy { $0.adjustment == .none })
    }

    @Test func londonTuesdaysAndFridaysStayAtTenAcrossMarch29() throws {
        let rule = try WeeklyRecurrence(weekdays: [2, 5], hour: 10, minute: 0, timeZone: "Europe/London",
                                        startsOn: CalendarDate(parsing: "2026-03-24"), end: .until(CalendarDate(parsing: "2026-04-03")))
        let visits = rule.occurrences()
        #expect(visits.map(\.date.description) == ["2026-03-24", "2026-03-27", "2026-03-31", "2026-04-03"])
        // GMT until 2026-03-29 01:00Z, BST after.
        #expect(visits.map { iso($0.start) } ==
                ["2026-03-24T10:00:00Z", "2026-03-27T10:00:00Z", "2026-03-31T09:00:00Z", "2026-04-03T09:00:00Z"])
    }

    @Test func skippedWallTimeMovesForwardByTheGap() throws {
        let resolved = LocalTime.resolve(date: try CalendarDate(parsing: "2026-03-08"), hour: 2, minute: 30, timeZone: "America/New_York")
        #expect(resolved.adjustment == .shiftedForward)
        #expect(iso(resolved.instant) == "2026-03-08T07:30:00Z")  // 03:30 EDT
        let london = LocalTime.resolve(date: try CalendarDate(parsing: "2026-03-29"), hour: 1, minute: 15, timeZone: "Europe/London")
        #expect(london.adjustment == .shiftedForward)
        #expect(iso(london.instant) == "2026-03-29T01:15:00Z")  // 02:15 BST
    }

    @Test func repeatedWallTimeTakesTheFirst() throws {
        let resolved = LocalTime.resolve(date: try CalendarDate(parsing: "2026-11-01"), hour: 1, minute: 30, timeZone: "America/New_York")
        #expect(resolved.adjustment == .firstOfRepeated)
        #expect(iso(resolved.instant) == "2026-11-01T05:30:00Z")  // 01:30 EDT, not EST
        let london = LocalTime.resolve(date: try CalendarDate(parsing: "2026-10-25"), hour: 1, minute: 30, timeZone: "Europe/London")
        #expect(london.adjustment == .firstOfRepeated)
        #expect(iso(london.instant) == "2026-10-25T00:30:00Z")  // 01:30 BST
    }

    @Test func badRulesAreRefused() throws {
        let start = try CalendarDate(parsing: "2026-12-01")
        #expect(throws: PracticeError.self) {
            try WeeklyRecurrence(weekdays: [], hour: 10, minute: 0, timeZone: "UTC", startsOn: start, end: .count(4))
        }
        #expect(throws: PracticeError.self) {
            try WeeklyRecurrence(weekdays: [8], hour: 10, minute: 0, timeZone: "UTC", startsOn: start, end: .count(4))
        }
        #expect(throws: PracticeError.self) {
            try WeeklyRecurrence(weekdays: [1], hour: 10, minute: 0, timeZone: "UTC", startsOn: start, end: .until(start.adding(days: -1)))
        }
        #expect(throws: PracticeError.self) {
            try WeeklyRecurrence(weekdays: [1], hour: 10, minute: 0, timeZone: "UTC", startsOn: start, end: .count(0))
        }
    }
}
