/// The checks a booking passes in PracticeCore, before the store asks PostgreSQL.
public enum BookingRules {
    /// Session length outside the policy's range books with a warning, naming the rule.
    /// Bookings fall within a year before today (a visit entered after the fact) and two years
    /// after it: a visit in the year 9999, or 0001, is a typing slip, not a plan.
    public static let daysBefore = 366
    public static let daysAfter = 731

    public static func checkWindow(_ date: CalendarDate, today: CalendarDate, field: String = "--at") throws(PracticeError) {
        let earliest = today.adding(days: -daysBefore)
        let latest = today.adding(days: daysAfter)
        guard date >= earliest, date <= latest else {
            throw .invalid(field: field, reason: "\(date) is outside the booking window \(earliest) to \(latest) (a year back, two years ahead)")
        }
    }

    public static func lengthWarning(minutes: Int, policy: EvidencePolicy) -> Warning? {
        guard minutes < policy.sessionMinMinutes || minutes > policy.sessionMaxMinutes else { return nil }
        return Warning(.sessionLength, rule: .sessionLength,
                       "\(minutes)-minute session is outside \(policy.sessionMinMinutes)–\(policy.sessionMaxMinutes) minutes, which outperformed shorter visits")
    }

    /// The one set of minute ranges: what a visit may be booked for or treated, and the steps
    /// between candidate slots. The SQL CHECKs on `appointments` are tested against these.
    public enum Minutes {
        public static let visit: ClosedRange<Int> = 5...240
        /// Minutes actually treated, recorded on completion (a visit cut short may be brief).
        public static let treated: ClosedRange<Int> = 1...240
        public static let slotStep: ClosedRange<Int> = 5...240
        public static let defaultSlotStep = 30
        public static let defaultVisit = 60
    }

    public static func validateMinutes(_ minutes: Int, field: String = "--minutes") throws(PracticeError) {
        guard Minutes.visit.contains(minutes) else {
            throw .invalid(field: field, reason: "\(minutes) is outside \(Minutes.visit.lowerBound)–\(Minutes.visit.upperBound) minutes")
        }
    }

    public static func validateSlotStep(_ step: Int) throws(PracticeError) {
        guard Minutes.slotStep.contains(step) else {
            throw .invalid(field: "--step", reason: "\(step) is outside \(Minutes.slotStep.lowerBound)–\(Minutes.slotStep.upperBound) minutes")
        }
    }

    /// Weeks that would hold more visits than the policy allows: existing visits plus new ones.
    public static func weeksOverLimit(existing: [IsoWeek: Int], adding new: [IsoWeek], policy: EvidencePolicy)
        -> [(week: IsoWeek, visits: Int)] {
        var totals = existing
        for week in new { totals[week, default: 0] += 1 }
        return Set(new).compactMap { week in
            let visits = totals[week, default: 0]
            return visits > policy.maxVisitsPerWeek ? (week, visits) : nil
        }.sorted { $0.week < $1.week }
    }
}

/// Dates of things recorded after they happened (a screening, a pain score, a clearance, a
/// discharge, a letter): not in the future, and at most five years back. Older history belongs
/// in the practice's archive, not typed in as new entries.
public enum EntryRules {
    public static let yearsBack = 5

    public static func check(_ date: CalendarDate, today: CalendarDate, field: String = "--date") throws(PracticeError) {
        guard date <= today else { throw .invalid(field: field, reason: "\(date) is in the future") }
        let earliest = today.adding(days: -366 * yearsBack)
        guard date >= earliest else {
            throw .invalid(field: field, reason: "\(date) is more than \(yearsBack) years ago (the earliest is \(earliest))")
        }
    }
}
