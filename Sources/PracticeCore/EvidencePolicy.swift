/// The numbers behind every rule the system applies, with the defaults of the 2015 Cochrane
/// review summarised in `shared/evidence/`. A practice stores its own copy and may override any.
///
/// Every flag the system raises names the rule (`EvidenceRule`) and the numbers that tripped it,
/// so a therapist can always trace a warning back to this value.
public struct EvidencePolicy: Sendable, Equatable, Codable {
    /// Pain younger than this many weeks is acute.
    public var acuteWeeks: Int = 6
    /// Pain this many weeks old or older is chronic; in between is sub-acute.
    public var chronicWeeks: Int = 12
    public var minVisitsPerWeek: Int = 1
    public var maxVisitsPerWeek: Int = 2
    /// More days than this between visits in an active course is sporadic.
    public var sporadicGapDays: Int = 14
    /// From this many sessions on, no additional benefit is expected.
    public var courseCapSessions: Int = 10
    /// This many sessions without improvement: recommend a spine-specialist referral.
    public var noImprovementSessions: Int = 6
    /// …and at this many, say so firmly.
    public var noImprovementFirmSessions: Int = 8
    /// Pain should fall by at least this percentage within `monthlyWindowDays` of the first session.
    public var monthlyReductionPercent: Int = 30
    public var monthlyWindowDays: Int = 30
    public var sessionMinMinutes: Int = 30
    public var sessionMaxMinutes: Int = 60
    /// Client discomfort above this (0–10) means the therapist must ease up.
    public var maxDiscomfort: Int = 5
    /// Expected relief after 1–2 sessions, in points on the 0–10 scale.
    public var reliefEarly: ClosedRange<Double> = 0.5...1.0
    /// Expected relief after 4–6 sessions.
    public var reliefMid: ClosedRange<Double> = 1.5...2.5
    /// A gap longer than this between completed visits ends one course and starts the next.
    public var courseBreakDays: Int = 56

    public init() {}

    public static let cochrane2015 = EvidencePolicy()

    /// The policy's own consistency rules, mirrored by CHECK constraints on `practices`.
    public func validate() throws(PracticeError) {
        func require(_ ok: Bool, _ field: String, _ reason: String) throws(PracticeError) {
            if !ok { throw .invalid(field: field, reason: reason) }
        }
        try require(acuteWeeks > 0, "acute-weeks", "must be at least 1")
        try require(chronicWeeks > acuteWeeks, "chronic-weeks", "must be more than acute-weeks (\(acuteWeeks))")
        try require(minVisitsPerWeek >= 0, "min-visits-per-week", "cannot be negative")
        try require(maxVisitsPerWeek >= minVisitsPerWeek && maxVisitsPerWeek <= 14, "max-visits-per-week",
                    "must be between min-visits-per-week (\(minVisitsPerWeek)) and 14")
        try require(sporadicGapDays > 0, "sporadic-gap-days", "must be at least 1")
        try require(courseCapSessions > 0, "course-cap-sessions", "must be at least 1")
        try require(noImprovementSessions > 0, "no-improvement-sessions", "must be at least 1")
        try require(noImprovementFirmSessions >= noImprovementSessions, "no-improvement-firm-sessions",
                    "must be at least no-improvement-sessions (\(noImprovementSessions))")
        try require((1...100).contains(monthlyReductionPercent), "monthly-reduction-percent", "must be 1–100")
        try require(monthlyWindowDays > 0, "monthly-window-days", "must be at least 1")
        try require(sessionMinMinutes > 0, "session-min-minutes", "must be at least 1")
        try require(sessionMaxMinutes >= sessionMinMinutes, "session-max-minutes",
                    "must be at least session-min-minutes (\(sessionMinMinutes))")
        try require((0...10).contains(maxDiscomfort), "max-discomfort", "must be 0–10")
    }
}

/// The rules of DESIGN.md's evidence table, by a stable name that flags carry.
public enum EvidenceRule: String, Sendable, Codable, CaseIterable {
    case painDuration = "pain-duration"
    case acutePain = "acute-pain"
    case redFlags = "red-flags"
    case underDosed = "under-dosed"
    case overScheduled = "over-scheduled"
    case sporadic = "sporadic"
    case expectedRelief = "expected-relief"
    case courseCap = "course-cap"
    case noImprovement = "no-improvement"
    case monthlyTarget = "monthly-target"
    case sessionLength = "session-length"
    case pressure = "pressure"
    case soreness = "soreness"
    case billing = "billing"
    /// A visit whose time has passed but that nobody recorded: not a session until it is.
    case unrecordedVisit = "unrecorded-visit"

    /// The line of the evidence summary the rule comes from.
    public var source: String {
        switch self {
        case .painDuration: "sub-acute (6-12 week) and chronic (12+ week)"
        case .acutePain: "For acute pain, prioritize medical evaluation first"
        case .redFlags: "Skip massage and see a doctor immediately if…"
        case .underDosed, .overScheduled, .sporadic, .unrecordedVisit: "1-2 sessions weekly beats sporadic appointments"
        case .expectedRelief: "Your Realistic Relief Timeline"
        case .courseCap: "Beyond 10 sessions, studies show no additional benefit"
        case .noImprovement: "after 6-8 sessions without improvement, consult a spine specialist"
        case .monthlyTarget: "if you don't see a 30% reduction within a month, pivot"
        case .sessionLength: "30-60 minutes consistently outperformed shorter visits"
        case .pressure: "If pressure exceeds a 5/10 … ease up immediately"
        case .soreness: "temporary soreness affects 1.5%-25% of users—usually resolving within 24 hours"
        case .billing: "Verifying coverage for CPT codes 97124 (massage) or 97140 (manual therapy)"
        }
    }
}
