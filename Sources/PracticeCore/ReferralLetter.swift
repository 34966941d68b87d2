import Foundation

public enum LetterDirection: String, Sendable, Codable, CaseIterable { case incoming, outgoing }

public enum LetterKind: String, Sendable, Codable, CaseIterable {
    case prescription, clearance, referral, coordination

    public var direction: LetterDirection {
        switch self {
        case .prescription, .clearance: .incoming
        case .referral, .coordination: .outgoing
        }
    }
}

public enum LetterStatus: String, Sendable, Codable, CaseIterable {
    case received, draft, sent, acknowledged
}

/// A letter to or from an outside provider, checked before it is stored.
public struct NewReferralLetter: Sendable, Equatable {
    public var clientID: Int64
    public var providerID: Int64
    public var kind: LetterKind
    public var date: CalendarDate
    public var diagnosisCode: String?
    public var wording: String?
    public var sessionsAuthorised: Int?
    public var validUntil: CalendarDate?
    public var reasonRule: EvidenceRule?
    public var body: String?

    public init(clientID: Int64, providerID: Int64, direction: LetterDirection, kind: LetterKind, date: CalendarDate,
                diagnosisCode: String? = nil, wording: String? = nil, sessionsAuthorised: Int? = nil,
                validUntil: CalendarDate? = nil, reasonRule: EvidenceRule? = nil, body: String? = nil,
                today: CalendarDate) throws(PracticeError) {
        guard kind.direction == direction else {
            throw .invalid(field: "--kind", reason: "a \(kind.rawValue) is \(kind.direction.rawValue), not \(direction.rawValue)")
        }
        guard date <= today else { throw .invalid(field: "--date", reason: "\(date) is in the future") }
        if kind != .prescription, diagnosisCode != nil || sessionsAuthorised != nil || validUntil != nil {
            throw .invalid(field: "--diagnosis", reason: "--diagnosis, --sessions and --valid-until belong to a prescription")
        }
        if let sessionsAuthorised, !(1...200).contains(sessionsAuthorised) {
            throw .invalid(field: "--sessions", reason: "\(sessionsAuthorised) is outside 1–200")
        }
        if let validUntil, validUntil < date {
            throw .invalid(field: "--valid-until", reason: "\(validUntil) is before the letter's date \(date)")
        }
        let text = body?.trimmingCharacters(in: .whitespacesAndNewlines)
        if kind == .coordination, text?.isEmpty ?? true {
            throw .invalid(field: "--text", reason: "a coordination note needs its text")
        }
        self.clientID = clientID
        self.providerID = providerID
        self.kind = kind
        self.date = date
        self.diagnosisCode = try diagnosisCode.map { code throws(PracticeError) in try ICD10.validate(code) }
        self.wording = wording?.trimmingCharacters(in: .whitespacesAndNewlines)
        self.sessionsAuthorised = sessionsAuthorised
        self.validUntil = validUntil
        self.reasonRule = reasonRule
        self.body = text?.isEmpty == true ? nil : text
    }

    /// Which providers may write or receive this kind of letter.
    public func check(provider: ProviderKind) throws(PracticeError) {
        switch kind {
        case .prescription where !provider.canClearRedFlags, .clearance where !provider.canClearRedFlags:
            throw .invalid(field: "--provider", reason: "a \(kind.rawValue) comes from a physician, not a \(provider.cliName)")
        case .referral where provider == .physician:
            throw .invalid(field: "--provider", reason: "a referral goes to a spine specialist or a physical therapist")
        default:
            break
        }
    }
}

/// What a drafted referral says: filled from the client's course and the check's flag.
public struct ReferralContext: Sendable {
    public var practiceName: String
    public var therapistName: String
    public var therapistMskYears: Double?
    public var providerName: String
    public var providerKind: ProviderKind
    public var clientName: String
    public var clientBorn: CalendarDate
    public var painOnset: CalendarDate
    public var duration: PainDuration
    public var metrics: FrequencyMetrics?
    public var flag: CheckFlag?
    public var date: CalendarDate

    public init(practiceName: String, therapistName: String, therapistMskYears: Double?, providerName: String,
                providerKind: ProviderKind, clientName: String, clientBorn: CalendarDate, painOnset: CalendarDate,
                duration: PainDuration, metrics: FrequencyMetrics?, flag: CheckFlag?, date: CalendarDate) {
        self.practiceName = practiceName
        self.therapistName = therapistName
        self.therapistMskYears = therapistMskYears
        self.providerName = providerName
        self.providerKind = providerKind
        self.clientName = clientName
        self.clientBorn = clientBorn
        self.painOnset = painOnset
        self.duration = duration
        self.metrics = metrics
        self.flag = flag
        self.date = date
    }
}

public enum ReferralTemplate {
    public static func render(_ c: ReferralContext) -> String {
        let purpose = switch c.flag?.rule {
        case .noImprovement?: "assessment by a spine specialist"
        case .monthlyTarget?: "supervised exercise therapy"
        case .redFlags?, .acutePain?: "medical evaluation"
        default: c.providerKind == .physicalTherapist ? "physical therapy" : "your assessment"
        }
        var course = "\(c.clientName) has had low-back pain since \(c.painOnset) (\(c.duration.rawValue))."
        if let m = c.metrics, let start = m.courseStart, m.sessionsInCourse > 0 {
            let weekly = m.weeks.map { String($0.visits) }.joined(separator: ", ")
            course += " Since \(start) they have had \(m.sessionsInCourse) massage session(s); visits in the last \(m.weeks.count) weeks: \(weekly)."
            if let baseline = m.baselinePain, let latest = m.latestPain {
                let change = baseline > 0 ? " (\(Int((Double(latest - baseline) / Double(baseline) * 100).rounded()))%)" : ""
                course += " Pain was \(baseline)/10 at the start of the course and is \(latest)/10 now\(change)."
            }
        }
        var letter = """
            \(c.date)

            Dear \(c.providerName),

            Re: \(c.clientName), born \(c.clientBorn)

            I am writing to refer \(c.clientName) to you for \(purpose).

            \(course)


            """
        if let flag = c.flag {
            letter += "Reason: \(flag.message).\nEvidence: \"\(flag.rule.source)\" (rule \(flag.rule.rawValue)).\n\n"
        }
        let experience = c.therapistMskYears.map { ", \($0.formatted1) years in musculoskeletal massage" } ?? ""
        letter += """
            I would be glad to coordinate care and to share my session notes.

            Yours sincerely,
            \(c.therapistName)\(experience)
            \(c.practiceName)
            """
        return letter
    }
}
