/// The checks a booking passes in PracticeCore, before the store asks PostgreSQL.
public enum BookingRules {
    /// Session length outside the policy's range books with a warning, naming the rule.
    public static func lengthWarning(minutes: Int, policy: EvidencePolicy) -> String? {
        guard minutes < policy.sessionMinMinutes || minutes > policy.sessionMaxMinutes else { return nil }
        return "\(minutes)-minute session is outside \(policy.sessionMinMinutes)–\(policy.sessionMaxMinutes) minutes, which outperformed shorter visits [rule session-length]"
    }

    public static func validateMinutes(_ minutes: Int) throws(PracticeError) {
        guard (5...240).contains(minutes) else {
            throw .invalid(field: "--minutes", reason: "\(minutes) is outside 5–240 minutes")
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
