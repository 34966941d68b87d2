import Foundation

/// "Now" for one unit of work: one instant, read once from the clock, and what it is on the
/// practice's own wall clock. Every past/future rule and every stamp in that unit of work uses
/// this value, so no code path mixes two clocks.
public struct PracticeNow: Sendable, Equatable {
    public let instant: Date
    public let timeZone: String
    /// The practice's local date at `instant`: a booking at 23:30 in New York is still today there.
    public let today: CalendarDate
    /// The practice's local time of day at `instant`, to the minute.
    public let time: TimeOfDay

    public init(instant: Date, timeZone: String) {
        self.instant = instant
        self.timeZone = timeZone
        let zone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
        let local = Int(instant.timeIntervalSince1970.rounded(.down)) + zone.secondsFromGMT(for: instant)
        let days = Int((Double(local) / 86_400).rounded(.down))
        self.today = CalendarDate(daysSinceEpoch: days)
        self.time = TimeOfDay(uncheckedMinutes: (local - days * 86_400) / 60)
    }

    /// The first instant of the local day after `date`: "up to the end of `date`" as a plain
    /// timestamp bound, computed once, so SQL compares timestamps and never casts to local dates.
    public static func endOfDay(_ date: CalendarDate, timeZone: String) -> Date {
        LocalTime.resolve(date: date.adding(days: 1), hour: 0, minute: 0, timeZone: timeZone).instant
    }

    /// The last moment of the local day `date` (a millisecond before the next begins): the
    /// inclusive cutoff of "everything recorded by the end of `date`".
    public static func lastMoment(of date: CalendarDate, timeZone: String) -> Date {
        endOfDay(date, timeZone: timeZone).addingTimeInterval(-0.001)
    }

    /// The first instant of the local day `date`.
    public static func startOfDay(_ date: CalendarDate, timeZone: String) -> Date {
        LocalTime.resolve(date: date, hour: 0, minute: 0, timeZone: timeZone).instant
    }
}
