/// A therapist's working hours on one weekday, in the practice's local time.
public struct WorkingHours: Sendable, Codable, Equatable, Hashable {
    public var weekday: Int
    public var starts: TimeOfDay
    public var ends: TimeOfDay

    public init(weekday: Int, starts: TimeOfDay, ends: TimeOfDay) {
        self.weekday = weekday
        self.starts = starts
        self.ends = ends
    }

    /// Parses `mon-fri 09:00-17:00` or `sat 10:00-14:00` into one entry per weekday.
    public static func parse(_ text: String) throws(PracticeError) -> [WorkingHours] {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else {
            throw .invalid(field: "--set", reason: "'\(text)' should look like \"mon-fri 09:00-17:00\"")
        }
        let days = try Weekday.parseList(String(parts[0]), field: "--set")
        let times = parts[1].split(separator: "-")
        guard times.count == 2 else {
            throw .invalid(field: "--set", reason: "'\(parts[1])' should be a range such as 09:00-17:00")
        }
        let starts = try TimeOfDay(parsing: String(times[0]), field: "--set")
        let ends = try TimeOfDay(parsing: String(times[1]), field: "--set")
        guard ends > starts else { throw .invalid(field: "--set", reason: "\(ends) is not after \(starts)") }
        return days.sorted().map { WorkingHours(weekday: $0, starts: starts, ends: ends) }
    }

    /// Free start times of `minutes` length within these hours, every `step` minutes, avoiding
    /// the busy intervals (minutes since local midnight, end exclusive).
    public func freeStarts(minutes: Int, step: Int, busy: [Range<Int>]) -> [TimeOfDay] {
        var result: [TimeOfDay] = []
        var start = starts.minutes
        while start + minutes <= ends.minutes {
            let slot = start..<(start + minutes)
            if !busy.contains(where: { $0.overlaps(slot) }) { result.append(TimeOfDay(uncheckedMinutes: start)) }
            start += step
        }
        return result
    }
}
