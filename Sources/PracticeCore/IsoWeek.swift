import Foundation

/// An ISO 8601 week such as 2026-W49: Monday to Sunday, week 1 holding the year's first Thursday.
public struct IsoWeek: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let week: Int

    public init(year: Int, week: Int) throws(PracticeError) {
        guard (1900...2100).contains(year) else {
            throw .invalid(field: "--week", reason: "\(year) is outside 1900–2100")
        }
        guard (1...IsoWeek.weeksIn(year: year)).contains(week) else {
            throw .invalid(field: "--week", reason: "\(year) has no week \(week)")
        }
        self.year = year
        self.week = week
    }

    /// Parses `2026-W49` (or `2026W49`).
    public init(parsing text: String) throws(PracticeError) {
        let compact = text.uppercased().replacingOccurrences(of: "-", with: "")
        guard compact.count == 7, compact.dropFirst(4).first == "W",
              let year = Int(compact.prefix(4)), let week = Int(compact.suffix(2))
        else { throw .invalid(field: "--week", reason: "'\(text)' is not an ISO week such as 2026-W49") }
        try self.init(year: year, week: week)
    }

    /// The ISO week a date falls in.
    public init(containing date: CalendarDate) {
        let thursday = date.adding(days: 4 - date.isoWeekday)
        let firstOfYear = CalendarDate(anyYear: thursday.year, fixedMonth: 1, day: 1)
        self.year = thursday.year
        self.week = firstOfYear.days(until: thursday) / 7 + 1
    }

    public var monday: CalendarDate {
        let january4 = CalendarDate(anyYear: year, fixedMonth: 1, day: 4)
        return january4.adding(days: 1 - january4.isoWeekday + (week - 1) * 7)
    }

    public var days: [CalendarDate] { (0..<7).map { monday.adding(days: $0) } }

    public func adding(weeks: Int) -> IsoWeek { IsoWeek(containing: monday.adding(days: 7 * weeks)) }

    public var description: String { "\(year)-W\(week < 10 ? "0" : "")\(week)" }

    public static func < (a: IsoWeek, b: IsoWeek) -> Bool { (a.year, a.week) < (b.year, b.week) }

    static func weeksIn(year: Int) -> Int {
        // A year has 53 ISO weeks when its December 28 falls in week 53.
        let december28 = CalendarDate(anyYear: year, fixedMonth: 12, day: 28)
        return IsoWeek(containing: december28).week
    }

    public init(from decoder: any Decoder) throws {
        self = try IsoWeek(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Weekday names as the front desk types them: mon, tue, … sun (or full names).
public enum Weekday {
    public static let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// Parses `tue,fri` or `mon-fri` into ISO weekday numbers.
    public static func parseList(_ text: String, field: String) throws(PracticeError) -> Set<Int> {
        var days = Set<Int>()
        for part in text.lowercased().split(separator: ",") {
            let bounds = part.split(separator: "-").map { String($0).trimmingCharacters(in: .whitespaces) }
            guard (1...2).contains(bounds.count) else { throw .invalid(field: field, reason: "'\(part)' is not a weekday") }
            var numbers: [Int] = []
            for bound in bounds {
                guard let index = names.firstIndex(where: { bound.hasPrefix($0) && ($0.count == bound.count || fullNames[$0] == bound) })
                else { throw .invalid(field: field, reason: "'\(bound)' is not a weekday (mon, tue, wed, thu, fri, sat, sun)") }
                numbers.append(index + 1)
            }
            if numbers.count == 2 {
                guard numbers[0] <= numbers[1] else { throw .invalid(field: field, reason: "'\(part)' runs backwards") }
                days.formUnion(numbers[0]...numbers[1])
            } else {
                days.insert(numbers[0])
            }
        }
        guard !days.isEmpty else { throw .invalid(field: field, reason: "name at least one weekday") }
        return days
    }

    public static func name(_ isoWeekday: Int) -> String { names[(isoWeekday - 1) % 7] }

    static let fullNames = ["mon": "monday", "tue": "tuesday", "wed": "wednesday", "thu": "thursday",
                            "fri": "friday", "sat": "saturday", "sun": "sunday"]
}

/// A wall-clock time of day, HH:MM.
public struct TimeOfDay: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let minutes: Int

    public init(hour: Int, minute: Int) throws(PracticeError) {
        guard (0...23).contains(hour), (0...59).contains(minute) else {
            throw .invalid(field: "time", reason: "\(hour):\(minute) is not a time of day")
        }
        self.minutes = hour * 60 + minute
    }

    init(uncheckedMinutes: Int) { self.minutes = uncheckedMinutes }

    public init(parsing text: String, field: String) throws(PracticeError) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2,
              let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h), (0...59).contains(m)
        else { throw .invalid(field: field, reason: "'\(text)' is not a time such as 09:30") }
        self.minutes = h * 60 + m
    }

    public var hour: Int { minutes / 60 }
    public var minute: Int { minutes % 60 }
    public var description: String { "\(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute)" }
    public static func < (a: TimeOfDay, b: TimeOfDay) -> Bool { a.minutes < b.minutes }

    public init(from decoder: any Decoder) throws {
        self = try TimeOfDay(parsing: try decoder.singleValueContainer().decode(String.self), field: "time")
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// `--at "2026-12-01 10:00"`: a date and a wall-clock time in the practice's zone.
public struct LocalDateTime: Sendable, Hashable, CustomStringConvertible {
    public let date: CalendarDate
    public let time: TimeOfDay

    public init(date: CalendarDate, time: TimeOfDay) {
        self.date = date
        self.time = time
    }

    public init(parsing text: String, field: String = "--at") throws(PracticeError) {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard parts.count == 2 else {
            throw .invalid(field: field, reason: "'\(text)' is not a date and time such as \"2026-12-01 10:00\"")
        }
        do {
            date = try CalendarDate(parsing: String(parts[0]))
        } catch {
            throw .invalid(field: field, reason: error.description)
        }
        time = try TimeOfDay(parsing: String(parts[1]), field: field)
    }

    public var description: String { "\(date) \(time)" }
}
