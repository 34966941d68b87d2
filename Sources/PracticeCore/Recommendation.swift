/// What a coordination summary recommends, following from the check's flags.
public enum Recommendation: String, Sendable, Codable {
    case medicalEvaluation = "medical-evaluation"
    case referSpineSpecialist = "refer-spine-specialist"
    case supervisedExercise = "supervised-exercise-therapy"
    case taper
    case `continue`

    public static func from(flags: [CheckFlag]) -> Recommendation {
        let rules = Set(flags.map(\.rule))
        if rules.contains(.redFlags) || flags.contains(where: { $0.rule == .acutePain && $0.severity == .firm }) { return .medicalEvaluation }
        if rules.contains(.noImprovement) { return .referSpineSpecialist }
        if rules.contains(.monthlyTarget) { return .supervisedExercise }
        if rules.contains(.courseCap) { return .taper }
        return .continue
    }

    public var sentence: String {
        switch self {
        case .medicalEvaluation: "Medical evaluation before further massage."
        case .referSpineSpecialist: "Refer to a spine specialist: the course has not brought improvement."
        case .supervisedExercise: "Add or switch to supervised exercise therapy: pain fell by less than 30% within a month."
        case .taper: "Taper: ten or more sessions, beyond which no additional benefit is expected."
        case .continue: "Continue 1–2 sessions a week and review the pain trend."
        }
    }
}

/// The evidence table's expectation for a number of sessions.
public enum ExpectedRelief {
    public static func describe(sessions: Int, policy: EvidencePolicy) -> String {
        let early = "\(policy.reliefEarly.lowerBound.formatted1)–\(policy.reliefEarly.upperBound.formatted1)"
        let mid = "\(policy.reliefMid.lowerBound.formatted1)–\(policy.reliefMid.upperBound.formatted1)"
        switch sessions {
        case ..<1: return "No sessions yet."
        case 1...2: return "After 1–2 sessions the evidence expects \(early) points of relief (low confidence)."
        case 3: return "Between \(early) points (1–2 sessions) and \(mid) points (4–6 sessions)."
        case 4...9: return "After 4–6 sessions the evidence expects \(mid) points of relief (moderate confidence)."
        default: return "From \(policy.courseCapSessions) sessions on, no extra gain is expected (very low confidence)."
        }
    }

    /// The range for a session count, when the table gives one.
    public static func range(sessions: Int, policy: EvidencePolicy) -> ClosedRange<Double>? {
        switch sessions {
        case 1...2: policy.reliefEarly
        case 4...: policy.reliefMid
        default: nil
        }
    }
}
