import Foundation
import PracticeCore
import Testing

/// Every parser fed hostile values: each is refused with a reason (or read exactly), never a trap.
@Suite("Parsers refuse hostile values")
struct HostileInputTests {
    static let hostile = ["", " ", "0", "-1", "1e300", "NaN", "inf", "0x10", "٣", "１２", "9223372036854775808",
                          "0000-W01", "0001-01-01", "9999-12-31", "10000-01-01", "2026-02-30", "2026-13-01", "2026-00-10",
                          "24:00", "23:60", "-1:00", "9:5", "99:99", "2026-W54", "2026-W00", "2025-W53", "2026-W53",
                          "1.2.3", ".", "0.001", "1,5", "1e3", "+5", "-5", "12345678", "\u{0}", "2026-01-01\u{0}",
                          String(repeating: "9", count: 400), "mon-", "-fri", "mon,,fri", "xyz", "mon-fri 25:00-26:00"]

    @Test("dates", arguments: hostile)
    func dates(_ text: String) {
        if let date = try? CalendarDate(parsing: text) {
            #expect(date.description == text, "\(text) read as \(date)")
        }
    }

    @Test("ISO weeks", arguments: hostile)
    func weeks(_ text: String) {
        if let week = try? IsoWeek(parsing: text) {
            #expect((1900...2100).contains(week.year) && week.description == text)
            #expect(week.monday.isoWeekday == 1)
        }
    }

    @Test("times and date-times", arguments: hostile)
    func times(_ text: String) {
        if let time = try? TimeOfDay(parsing: text, field: "--at") {
            #expect((0..<24 * 60).contains(time.minutes))
        }
        _ = try? LocalDateTime(parsing: text)
        _ = try? LocalDateTime(parsing: "2026-12-01 " + text)
    }

    @Test("money", arguments: hostile)
    func money(_ text: String) {
        if let amount = try? Money.parse(text, field: "--fee") {
            #expect(amount >= 0 && text.allSatisfy { $0.isNumber || $0 == "." })
            #expect(NSDecimalNumber(decimal: amount).stringValue == text || text.hasSuffix("0") || text.hasPrefix("0"))
        }
    }

    @Test("weekdays and working hours", arguments: hostile)
    func weekdays(_ text: String) {
        _ = try? Weekday.parseList(text, field: "--weekly")
        _ = try? WorkingHours.parse(text)
    }

    @Test func weekArithmeticAtTheEndsOfTheCalendarDoesNotTrap() {
        for date in ["9999-12-31", "0001-01-01", "1900-01-01", "2100-12-31"] {
            let day = try? CalendarDate(parsing: date)
            if let day { _ = IsoWeek(containing: day).adding(weeks: 1).monday }
        }
    }

    @Test func moneyIsExact() throws {
        #expect(try Money.parse("95.50", field: "--fee") == Decimal(string: "95.50"))
        for bad in ["1.2.3", ".", "0.001", "1e3", "-5", "5.", ".5", "1 000"] {
            #expect(throws: PracticeError.self, "\(bad)") { try Money.parse(bad, field: "--fee") }
        }
    }

    @Test func textInputRefusesWhatItCannotStore() {
        #expect(TextInput.problem(in: "Ana Ruiz") == nil)
        #expect(TextInput.problem(in: "line one\nline\ttwo") == nil)
        #expect(TextInput.problem(in: "line one\nline two", multiline: false) == "must be one line")
        #expect(TextInput.problem(in: "nul\u{0}") != nil)
        #expect(TextInput.problem(in: "esc\u{1B}[2J") != nil)
        #expect(TextInput.problem(in: "c1\u{9B}") != nil)
        #expect(TextInput.problem(in: "cr\r\n") != nil)
        #expect(TextInput.problem(in: "repaired \u{FFFD}") != nil)
        #expect(throws: PracticeError.invalid(field: "--name", reason: "is not valid UTF-8 text")) {
            try TextInput.decode([0x41, 0xFF, 0x42], field: "--name")
        }
        #expect(NameText.normalized("Zoe\u{0308}") == "Zo\u{00EB}")
    }

    @Test func bookingsStayInTheirWindow() throws {
        let today = try CalendarDate(parsing: "2026-11-25")
        #expect(throws: PracticeError.self) { try BookingRules.checkWindow(try CalendarDate(parsing: "9999-12-31"), today: today) }
        #expect(throws: PracticeError.self) { try BookingRules.checkWindow(try CalendarDate(parsing: "1900-01-01"), today: today) }
        try BookingRules.checkWindow(today.adding(days: 700), today: today)
        try BookingRules.checkWindow(today.adding(days: -300), today: today)
    }
}
