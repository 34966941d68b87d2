/// The frequency check: is each client on the evidence's course (1–2 visits a week, improving,
/// no more than 10 sessions), and is anyone waiting on a physician or a medical evaluation?
///
/// The store computes `FrequencyMetrics` for the whole practice in one set-based query; this type
/// turns them into flags by the practice's policy. Every flag names its rule and its numbers.
public struct FrequencyMetrics: Sendable, Codable, Equatable {
    public struct WeekCount: Sendable, Codable, Equatable {
        public var week: IsoWeek
        public var visits: Int

        public init(week: IsoWeek, visits: Int) {
            self.week = week
            self.visits = visits
        }
    }

    public var clientID: Int64
    public var clientName: String
    public var asOf: CalendarDate
    public var painOnset: CalendarDate
    /// Visits (booked, checked in or completed) per ISO week over the look-back window, oldest
    /// first; the last entry is the week holding `asOf`, which may be partial.
    public var weeks: [WeekCount]
    /// The first completed session of the current course, if there is a course at all.
    public var courseStart: CalendarDate?
    public var lastVisit: CalendarDate?
    public var sessionsInCourse: Int
    /// The longest gap between consecutive completed visits in the course, in days.
    public var longestGapDays: Int?
    /// Pain before the course's first session.
    public var baselinePain: Int?
    /// The latest pain a client arrived with or reported between visits (not the in-session
    /// "after" score, whose relief is immediate and fades).
    public var latestPain: Int?
    /// The lowest such score within the monthly window after the first session.
    public var bestPainInFirstMonth: Int?
    public var hasFutureBooking: Bool
    public var screening: String
    public var redFlags: [String]
    public var nightPainOrLegNumbness: Bool
    /// Pressure-feedback entries in the course with discomfort above the maximum, not eased.
    public var pressureUneased: Int = 0

    public init(clientID: Int64, clientName: String, asOf: CalendarDate, painOnset: CalendarDate, weeks: [WeekCount],
                courseStart: CalendarDate?, lastVisit: CalendarDate?, sessionsInCourse: Int, longestGapDays: Int?,
                baselinePain: Int?, latestPain: Int?, bestPainInFirstMonth: Int?, hasFutureBooking: Bool,
                screening: String, redFlags: [String], nightPainOrLegNumbness: Bool) {
        self.clientID = clientID
        self.clientName = clientName
        self.asOf = asOf
        self.painOnset = painOnset
        self.weeks = weeks
        self.courseStart = courseStart
        self.lastVisit = lastVisit
        self.sessionsInCourse = sessionsInCourse
        self.longestGapDays = longestGapDays
        self.baselinePain = baselinePain
        self.latestPain = latestPain
        self.bestPainInFirstMonth = bestPainInFirstMonth
        self.hasFutureBooking = hasFutureBooking
        self.screening = screening
        self.redFlags = redFlags
        self.nightPainOrLegNumbness = nightPainOrLegNumbness
    }

    /// Days from the last visit to `asOf`: the gap that is still open.
    public var openGapDays: Int? { lastVisit.map { $0.days(until: asOf) } }
}

public struct CheckFlag: Sendable, Codable, Equatable {
    public enum Severity: String, Sendable, Codable {
        case warning
        case firm
    }

    public var rule: EvidenceRule
    public var severity: Severity
    public var message: String

    public init(rule: EvidenceRule, severity: Severity = .warning, message: String) {
        self.rule = rule
        self.severity = severity
        self.message = message
    }
}

public enum FrequencyCheck {
    public static func flags(for m: FrequencyMetrics, policy: EvidencePolicy) -> [CheckFlag] {
        var flags: [CheckFlag] = []

        if m.screening == "needs-clearance" {
            flags.append(CheckFlag(rule: .redFlags, severity: .firm,
                              message: "red flag (\(m.redFlags.joined(separator: "; "))) without a physician's clearance: no booking until one is on file"))
        }
        let duration = PainDuration.classify(onset: m.painOnset, asOf: m.asOf, policy: policy)
        if duration == .acute {
            let days = m.painOnset.days(until: m.asOf)
            flags.append(CheckFlag(rule: .acutePain, severity: m.nightPainOrLegNumbness ? .firm : .warning,
                              message: m.nightPainOrLegNumbness
                                ? "acute pain (\(days) days, under \(policy.acuteWeeks) weeks) with night pain or leg numbness: medical evaluation before massage"
                                : "acute pain (\(days) days, under \(policy.acuteWeeks) weeks): medical evaluation first"))
        }

        guard let courseStart = m.courseStart, m.sessionsInCourse > 0 else { return flags }

        // Frequency: full weeks only (the current one may still fill), and only since the course began.
        let startWeek = IsoWeek(containing: courseStart)
        let fullWeeks = m.weeks.dropLast().filter { $0.week >= startWeek }
        if !fullWeeks.isEmpty {
            let total = fullWeeks.reduce(0) { $0 + $1.visits }
            let mean = Double(total) / Double(fullWeeks.count)
            if mean < Double(policy.minVisitsPerWeek) {
                flags.append(CheckFlag(rule: .underDosed,
                                  message: "under-dosed: \(total) visit(s) in \(fullWeeks.count) full week(s), \(mean.formatted1) a week; target \(policy.minVisitsPerWeek)–\(policy.maxVisitsPerWeek)"))
            }
        }
        if let busiest = m.weeks.filter({ $0.visits > policy.maxVisitsPerWeek }).max(by: { $0.visits < $1.visits }) {
            flags.append(CheckFlag(rule: .overScheduled,
                              message: "over-scheduled: \(busiest.visits) visits in \(busiest.week); target \(policy.minVisitsPerWeek)–\(policy.maxVisitsPerWeek) a week"))
        }
        let gaps = [m.longestGapDays, m.hasFutureBooking ? nil : m.openGapDays].compactMap { $0 }
        if let gap = gaps.max(), gap > policy.sporadicGapDays {
            let open = gap == m.openGapDays && !m.hasFutureBooking && gap != m.longestGapDays
            flags.append(CheckFlag(rule: .sporadic,
                              message: open
                                ? "sporadic: \(gap) days since the last visit and nothing booked; gaps over \(policy.sporadicGapDays) days break the course"
                                : "sporadic: a \(gap)-day gap between visits; gaps over \(policy.sporadicGapDays) days break the course"))
        }
        if m.pressureUneased > 0 {
            flags.append(CheckFlag(rule: .pressure,
                                   message: "\(m.pressureUneased) pressure-feedback entr\(m.pressureUneased == 1 ? "y" : "ies") with discomfort above \(policy.maxDiscomfort)/10 not eased: ease up"))
        }
        if m.sessionsInCourse >= policy.courseCapSessions {
            flags.append(CheckFlag(rule: .courseCap,
                              message: "course cap: \(m.sessionsInCourse) sessions; from \(policy.courseCapSessions) on no additional benefit is expected"))
        }
        if let baseline = m.baselinePain, let latest = m.latestPain, m.sessionsInCourse >= policy.noImprovementSessions {
            let improvement = Double(baseline - latest)
            if improvement < policy.reliefEarly.lowerBound {
                let firm = m.sessionsInCourse >= policy.noImprovementFirmSessions
                flags.append(CheckFlag(rule: .noImprovement, severity: firm ? .firm : .warning,
                                  message: firm
                                    ? "no improvement after \(m.sessionsInCourse) sessions (pain \(baseline) → \(latest)): refer to a spine specialist"
                                    : "no improvement after \(m.sessionsInCourse) sessions (pain \(baseline) → \(latest)): consider a spine-specialist referral"))
            }
        }
        if let baseline = m.baselinePain, baseline > 0, let best = m.bestPainInFirstMonth,
           courseStart.days(until: m.asOf) >= policy.monthlyWindowDays {
            let reduction = Double(baseline - best) / Double(baseline) * 100
            if reduction < Double(policy.monthlyReductionPercent) {
                flags.append(CheckFlag(rule: .monthlyTarget,
                                  message: "\(Int(reduction.rounded()))% reduction (\(baseline) → \(best)) within \(policy.monthlyWindowDays) days of the first session, under the \(policy.monthlyReductionPercent)% target: recommend supervised exercise therapy"))
            }
        }
        return flags
    }
}

/// One client's line in `practice check`.
public struct FrequencyReport: Sendable, Codable, Equatable {
    public var metrics: FrequencyMetrics
    public var flags: [CheckFlag]

    public init(metrics: FrequencyMetrics, flags: [CheckFlag]) {
        self.metrics = metrics
        self.flags = flags
    }
}
