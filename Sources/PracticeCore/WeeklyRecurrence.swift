import Foundation

/// A weekly appointment series as the front desk states it: "Tuesdays and Fridays at 10:00,
/// eight visits", in the practice's own zone.
///
/// Occurrences are computed in local wall-clock time and only then converted to instants, so a
/// Tuesday 10:00 series stays at 10:00 local across daylight-saving changes.
///
/// The DST rule for a wall time that a zone skips or repeats on its change day:
/// - **skipped** (spring forward, e.g. 02:30 on 2026-03-08 in New York): the visit moves forward
///   by the length of the gap, to 03:30 local, the same instant the clock would read if it hadn't
///   jumped; the occurrence is marked `.shiftedForward`.
/// - **repeated** (fall back, e.g. 01:30 on 2026-11-01 in New York): the first of the two, in
///   daylight time; the occurrence is marked `.firstOfRepeated`.
public struct WeeklyRecurrence: Sendable, Equatable {
    public enum End: Sendable, Equatable {
        case count(Int)
        case until(CalendarDate)
    }

    /// ISO weekdays, Monday 1 … Sunday 7.
    public var weekdays: Set<Int>
    public var hour: Int
    public var minute: Int
    public var timeZone: String
    public var startsOn: CalendarDate
    public var end: End

    public init(weekdays: Set<Int>, hour: Int, minute: Int, timeZone: String, startsOn: CalendarDate, end: End) throws(PracticeError) {
        guard !weekdays.isEmpty, weekdays.allSatisfy({ (1...7).contains($0) }) else {
            throw .invalid(field: "--weekly", reason: "name at least one weekday (mon, tue, … sun)")
        }
        guard (0...23).contains(hour), (0...59).contains(minute) else {
            throw .invalid(field: "--at", reason: "\(hour):\(minute) is not a time of day")
        }
        guard timeZone == "UTC" || TimeZone.knownTimeZoneIdentifiers.contains(timeZone) else {
            throw .invalid(field: "timezone", reason: "'\(timeZone)' is not an IANA time zone")
        }
        switch end {
        case .count(let n) where !(1...200).contains(n):
            throw .invalid(field: "--count", reason: "\(n) is outside 1–200 visits")
        case .until(let date) where date < startsOn:
            throw .invalid(field: "--until", reason: "\(date) is before the first visit on \(startsOn)")
        case .until(let date) where startsOn.days(until: date) > 366:
            throw .invalid(field: "--until", reason: "a series may run at most a year")
        default:
            break
        }
        self.weekdays = weekdays
        self.hour = hour
        self.minute = minute
        self.timeZone = timeZone
        self.startsOn = startsOn
        self.end = end
    }

    public struct Occurrence: Sendable, Equatable {
        public var date: CalendarDate
        public var start: Date
        public var adjustment: LocalTime.Adjustment
    }

    public func occurrences() -> [Occurrence] {
        var result: [Occurrence] = []
        var day = startsOn
        while true {
            switch end {
            case .count(let n) where result.count >= n: return result
            case .until(let last) where day > last: return result
            default: break
            }
            if weekdays.contains(day.isoWeekday) {
                let resolved = LocalTime.resolve(date: day, hour: hour, minute: minute, timeZone: timeZone)
                result.append(Occurrence(date: day, start: resolved.instant, adjustment: resolved.adjustment))
            }
            day = day.adding(days: 1)
        }
    }
}

/// Turning a local wall-clock time into an instant, with the DST rule above.
public enum LocalTime {
    public enum Adjustment: String, Sendable, Equatable, Codable {
        case none
        case shiftedForward = "shifted-forward"
        case firstOfRepeated = "first-of-repeated"
    }

    public static func resolve(date: CalendarDate, hour: Int, minute: Int, timeZone identifier: String)
        -> (instant: Date, adjustment: Adjustment) {
        let zone = TimeZone(identifier: identifier) ?? TimeZone(identifier: "UTC")!
        // The wall time read as if it were UTC; the real instant is this minus the zone's offset.
        let wall = TimeInterval(date.daysSinceEpoch * 86_400 + hour * 3_600 + minute * 60)
        let before = TimeInterval(zone.secondsFromGMT(for: Date(timeIntervalSince1970: wall - 86_400)))
        let after = TimeInterval(zone.secondsFromGMT(for: Date(timeIntervalSince1970: wall + 86_400)))
        let candidates = Set([before, after]).map { wall - $0 }.filter { instant in
            TimeInterval(zone.secondsFromGMT(for: Date(timeIntervalSince1970: instant))) == wall - instant
        }.sorted()
        switch candidates.count {
        case 1: return (Date(timeIntervalSince1970: candidates[0]), .none)
        case 0: return (Date(timeIntervalSince1970: wall - before), .shiftedForward)
        default: return (Date(timeIntervalSince1970: candidates[0]), .firstOfRepeated)
        }
    }
}
