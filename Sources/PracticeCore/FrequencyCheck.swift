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
    /// The date of the next live booking after the check's cutoff, if any: a gap runs until it.
    public var nextVisit: CalendarDate?
    /// Visits whose time has passed but which are still booked or checked in: not sessions until
    /// someone completes them, marks a no-show or cancels them.
    public var unrecordedVisits: [Int64] = []
    public var screening: ScreeningStatus
    public var redFlags: [String]
    public var nightPainOrLegNumbness: Bool
    /// Pressure-feedback entries in the course with discomfort above the maximum, not eased.
    public var pressureUneased: Int = 0

    public init(clientID: Int64, clientName: String, asOf: CalendarDate, painOnset: CalendarDate, weeks: [WeekCount],
                courseStart: CalendarDate?, lastVisit: CalendarDate?, sessionsInCourse: Int, longestGapDays: Int?,
                baselinePain: Int?, latestPain: Int?, bestPainInFirstMonth: Int?, hasFutureBooking: Bool,
                nextVisit: CalendarDate? = nil, unrecordedVisits: [Int64] = [],
                screening: ScreeningStatus, redFlags: [String], nightPainOrLegNumbness: Bool) {
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
        self.nextVisit = nextVisit
        self.unrecordedVisits = unrecordedVisits
        self.screening = screening
        self.redFlags = redFlags
        self.nightPainOrLegNumbness = nightPainOrLegNumbness
    }

    /// The gap that is still open: from the last session to the next booked visit, or to
    /// `asOf` when nothing is booked. A booking 21 days after the last session is a 21-day gap
    /// today, not only once it has happened.
    public var openGapDays: Int? { lastVisit.map { $0.days(until: nextVisit ?? asOf) } }
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

        if !m.unrecordedVisits.isEmpty {
            let ids = m.unrecordedVisits.prefix(5).map(String.init).joined(separator: ", ")
            let more = m.unrecordedVisits.count > 5 ? " and \(m.unrecordedVisits.count - 5) more" : ""
            flags.append(CheckFlag(rule: .unrecordedVisit,
                                   message: "\(m.unrecordedVisits.count) past visit(s) still booked or checked in (appointment \(ids)\(more)): complete it, mark a no-show or cancel it; until then it is not a session"))
        }
        if m.screening == .needsClearance {
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
        let open = m.openGapDays ?? 0
        let closed = m.longestGapDays ?? 0
        if max(open, closed) > policy.sporadicGapDays {
            let message: String
            if open > closed, let last = m.lastVisit {
                message = if let next = m.nextVisit {
                    "sporadic: the next visit (\(next)) is \(open) days after the last session (\(last)); gaps over \(policy.sporadicGapDays) days break the course"
                } else {
                    "sporadic: \(open) days since the last session (\(last)) and nothing booked; gaps over \(policy.sporadicGapDays) days break the course"
                }
            } else {
                message = "sporadic: a \(closed)-day gap between sessions; gaps over \(policy.sporadicGapDays) days break the course"
            }
            flags.append(CheckFlag(rule: .sporadic, message: message))
        }
        if m.pressureUneased > 0 {
            flags.append(CheckFlag(rule: .pressure,
                                   message: "\(m.pressureUneased) pressure-feedback entr\(m.pressureUneased == 1 ? "y" : "ies") with discomfort above \(policy.maxDiscomfort)/10 not eased: ease up"))
        }
        if m.sessionsInCourse >= policy.courseCapSessions {
            flags.append(CheckFlag(rule: .courseCap,
                              message: "course cap: \(m.sessionsInCourse) sessions; from \(policy.courseCapSessions) on no additional benefit is expected"))
        }
        // A baseline of 0/10 leaves no room to improve: neither rule below can apply.
        if let baseline = m.baselinePain, baseline > 0, let latest = m.latestPain, m.sessionsInCourse >= policy.noImprovementSessions {
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

extension FrequencyReport {
    /// The report as one line of JSON: byte for byte what `JSONEncoder` writes with snake-case
    /// keys, sorted keys and unescaped slashes (the command line's encoding, without indentation),
    /// written directly. `check --json` streams a record per client and the generic encoder cost
    /// more than the database's whole query; a test holds the two encodings to the same bytes.
    public func appendCompactJSON(to out: inout [UInt8]) {
        func key(_ name: StaticString) {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        func comma() { out.append(UInt8(ascii: ",")) }
        func int<I: BinaryInteger>(_ value: I) { out.append(contentsOf: String(value).utf8) }
        func bool(_ value: Bool) { out.append(contentsOf: (value ? "true" : "false").utf8) }
        func string(_ text: String) { JSONText.appendString(text, to: &out) }
        func optional<T>(_ name: StaticString, _ value: T?, _ write: (T) -> Void) {
            guard let value else { return }
            key(name)
            write(value)
            comma()
        }

        out.append(UInt8(ascii: "{"))
        key("flags")
        out.append(UInt8(ascii: "["))
        for (index, flag) in flags.enumerated() {
            if index > 0 { comma() }
            out.append(UInt8(ascii: "{"))
            key("message"); string(flag.message); comma()
            key("rule"); string(flag.rule.rawValue); comma()
            key("severity"); string(flag.severity.rawValue)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        comma()
        let m = metrics
        key("metrics")
        out.append(UInt8(ascii: "{"))
        key("as_of"); string(m.asOf.description); comma()
        optional("baseline_pain", m.baselinePain, int)
        optional("best_pain_in_first_month", m.bestPainInFirstMonth, int)
        key("client_id"); int(m.clientID); comma()
        key("client_name"); string(m.clientName); comma()
        optional("course_start", m.courseStart) { string($0.description) }
        key("has_future_booking"); bool(m.hasFutureBooking); comma()
        optional("last_visit", m.lastVisit) { string($0.description) }
        optional("latest_pain", m.latestPain, int)
        optional("longest_gap_days", m.longestGapDays, int)
        optional("next_visit", m.nextVisit) { string($0.description) }
        key("night_pain_or_leg_numbness"); bool(m.nightPainOrLegNumbness); comma()
        key("pain_onset"); string(m.painOnset.description); comma()
        key("pressure_uneased"); int(m.pressureUneased); comma()
        key("red_flags")
        out.append(UInt8(ascii: "["))
        for (index, flag) in m.redFlags.enumerated() {
            if index > 0 { comma() }
            string(flag)
        }
        out.append(UInt8(ascii: "]"))
        comma()
        key("screening"); string(m.screening.rawValue); comma()
        key("sessions_in_course"); int(m.sessionsInCourse); comma()
        key("unrecorded_visits")
        out.append(UInt8(ascii: "["))
        for (index, id) in m.unrecordedVisits.enumerated() {
            if index > 0 { comma() }
            int(id)
        }
        out.append(UInt8(ascii: "]"))
        comma()
        key("weeks")
        out.append(UInt8(ascii: "["))
        for (index, week) in m.weeks.enumerated() {
            if index > 0 { comma() }
            out.append(UInt8(ascii: "{"))
            key("visits"); int(week.visits); comma()
            key("week"); string(week.week.description)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: [UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: "}")])
    }
}

/// JSON string literals as `JSONEncoder` writes them with `.withoutEscapingSlashes`: quotes,
/// backslashes and control characters escaped (the short forms for \b \f \n \r \t, `\u00XX` for
/// the rest), everything else as its UTF-8 bytes.
public enum JSONText {
    public static func appendString(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
