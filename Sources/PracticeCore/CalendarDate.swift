/// A day on the calendar, with no time and no zone: a date of birth, a pain onset, a letter date.
///
/// Kept apart from `Foundation.Date` on purpose: a birthday is not an instant, and converting it
/// through a time zone is how dates drift by one.
public struct CalendarDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Validates the parts; throws for 2026-02-30 or month 13.
    public init(year: Int, month: Int, day: Int) throws(DateParseError) {
        guard (1...9999).contains(year) else { throw .outOfRange("year \(year) is out of range") }
        guard (1...12).contains(month) else { throw .outOfRange("month \(month) does not exist") }
        let last = CalendarDate.daysIn(month: month, year: year)
        guard (1...last).contains(day) else {
            throw .outOfRange("\(CalendarDate.monthNames[month - 1]) \(year) has \(last) days")
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// A day known to exist in every year (January 1, January 4, December 28), in any year at
    /// all: week arithmetic near the ends of the range may step outside 1...9999, and must not trap.
    init(anyYear year: Int, fixedMonth month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`, the only form the command line and the database exchange.
    public init(parsing text: String) throws(DateParseError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { throw .malformed("'\(text)' is not a date in the form YYYY-MM-DD") }
        try self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01 (negative before), by the proleptic Gregorian calendar.
    public var daysSinceEpoch: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(daysSinceEpoch z0: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    public func adding(days: Int) -> CalendarDate { CalendarDate(daysSinceEpoch: daysSinceEpoch + days) }

    public func days(until other: CalendarDate) -> Int { other.daysSinceEpoch - daysSinceEpoch }

    /// ISO weekday: Monday 1 … Sunday 7.
    public var isoWeekday: Int {
        // 1970-01-01 was a Thursday (4).
        let r = (daysSinceEpoch + 3) % 7
        return (r < 0 ? r + 7 : r) + 1
    }

    /// Whole years from this date to `date`, as a birthday counts them.
    public func years(until date: CalendarDate) -> Int {
        var years = date.year - year
        if (date.month, date.day) < (month, day) { years -= 1 }
        return years
    }

    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (a: CalendarDate, b: CalendarDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try CalendarDate(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July",
                             "August", "September", "October", "November", "December"]
}

public enum DateParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case outOfRange(String)

    public var description: String {
        switch self {
        case .malformed(let reason), .outOfRange(let reason): reason
        }
    }
}

extension CalendarDate {
    /// A date as typed anywhere (an option, an API field): YYYY-MM-DD, within 1900–2100.
    public static func parse(_ text: String, field: String) throws(PracticeError) -> CalendarDate {
        let date: CalendarDate
        do {
            date = try CalendarDate(parsing: text)
        } catch {
            throw .invalid(field: field, reason: error.description)
        }
        guard date.year >= 1900, date.year <= 2100 else {
            throw .invalid(field: field, reason: "\(text) is outside 1900-01-01…2100-12-31")
        }
        return date
    }
}
