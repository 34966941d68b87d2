import Foundation

/// What the evidence records but never ranks: no technique has been shown to beat another.
public enum Technique: String, Sendable, Codable, CaseIterable {
    case swedish
    case deepTissue = "deep_tissue"
    case triggerPoint = "trigger_point"
    case myofascialRelease = "myofascial_release"
    case mechanicalDevice = "mechanical_device"
    case other

    public var cliName: String { rawValue.replacingOccurrences(of: "_", with: "-") }
    public init?(cliName: String) { self.init(rawValue: cliName.replacingOccurrences(of: "-", with: "_")) }
}

public enum Soreness: String, Sendable, Codable, CaseIterable {
    case none, mild, marked
}

public enum CPTCode: String, Sendable, Codable, CaseIterable {
    case massage = "97124"
    case manualTherapy = "97140"

    public var label: String { self == .massage ? "97124 massage therapy" : "97140 manual therapy" }
}

/// The clinical record of a completed session, checked before anything is written.
public struct SessionRecord: Sendable, Equatable {
    public var minutes: Int
    public var techniques: [Technique]
    public var painBefore: Int
    public var painAfter: Int
    public var soreness: Soreness
    public var cpt: CPTCode?
    public var fee: Decimal?

    public init(minutes: Int, techniques: [Technique], painBefore: Int, painAfter: Int, soreness: Soreness = .none,
                cpt: CPTCode? = nil, fee: Decimal? = nil) throws(PracticeError) {
        let range = BookingRules.Minutes.treated
        guard range.contains(minutes) else {
            throw .invalid(field: "--minutes", reason: "\(minutes) is outside \(range.lowerBound)–\(range.upperBound) minutes")
        }
        guard !techniques.isEmpty else { throw .invalid(field: "--technique", reason: "name at least one technique") }
        try PainScore.check(painBefore, field: "--pain-before")
        try PainScore.check(painAfter, field: "--pain-after")
        if let fee, fee < 0 || fee > 10_000 { throw .invalid(field: "--fee", reason: "\(fee) is outside 0–10000") }
        self.minutes = minutes
        var seen = Set<Technique>()
        self.techniques = techniques.filter { seen.insert($0).inserted }
        self.painBefore = painBefore
        self.painAfter = painAfter
        self.soreness = soreness
        self.cpt = cpt
        self.fee = fee
    }

    /// Billable 15-minute units by the 8-minute rule, when a CPT code is billed.
    public var units: Int? { cpt.map { _ in BillingUnits.units(minutes: minutes) } }

    /// Marked soreness is followed up within 24 hours (the evidence: it usually resolves in 24 h).
    public var needsFollowUp: Bool { soreness == .marked }
}

public enum PainScore {
    public static func check(_ score: Int, field: String) throws(PracticeError) {
        guard (0...10).contains(score) else { throw .invalid(field: field, reason: "\(score) is outside the 0–10 pain scale") }
    }
}

/// Regions a therapist works on for low-back pain.
public enum BodyRegion: String, Sendable, Codable, CaseIterable {
    case lumbarLeft = "lumbar_left"
    case lumbarRight = "lumbar_right"
    case thoracic
    case glutes
    case quadratusLumborum = "quadratus_lumborum"
    case hips
    case hamstrings
    case other

    public var cliName: String { rawValue.replacingOccurrences(of: "_", with: "-") }
    public init?(cliName: String) { self.init(rawValue: cliName.replacingOccurrences(of: "-", with: "_")) }
}

public enum PressureAction: String, Sendable, Codable, CaseIterable {
    case eased, held, increased
}

/// In-session pressure feedback: the client's discomfort, and what the therapist did about it.
public struct PressureFeedbackEntry: Sendable, Codable, Equatable {
    public var region: BodyRegion
    public var pressure: Int
    public var discomfort: Int
    public var action: PressureAction
    public var note: String?

    /// `confirm` is needed to increase pressure when the client's discomfort is already above the
    /// policy's maximum.
    public init(region: BodyRegion, pressure: Int, discomfort: Int, action: PressureAction, note: String? = nil,
                confirm: Bool = false, policy: EvidencePolicy) throws(PracticeError) {
        guard (0...10).contains(pressure) else { throw .invalid(field: "--pressure", reason: "\(pressure) is outside 0–10") }
        guard (0...10).contains(discomfort) else { throw .invalid(field: "--discomfort", reason: "\(discomfort) is outside 0–10") }
        if action == .increased, discomfort > policy.maxDiscomfort, !confirm {
            throw .refused("discomfort \(discomfort)/10 is above \(policy.maxDiscomfort)/10: the rule is to ease up, not increase [rule pressure]; add --confirm if the client asked for it")
        }
        self.region = region
        self.pressure = pressure
        self.discomfort = discomfort
        self.action = action
        self.note = note.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
    }

    /// Discomfort above the maximum that was not eased: flagged at once, in `check` and in reports.
    public static func flag(discomfort: Int, action: PressureAction, policy: EvidencePolicy) -> String? {
        guard discomfort > policy.maxDiscomfort, action != .eased else { return nil }
        return "discomfort \(discomfort)/10 is above \(policy.maxDiscomfort)/10 and pressure was \(action.rawValue), not eased [rule pressure]"
    }
}

/// The home program offered with a plan: the evidence's self-massage rules, to edit.
public enum HomeProgram {
    public static let evidenceDefault = """
        Self-massage between sessions (foam roller or tennis ball):
        - Never roll over the spine itself; work the muscles beside it (quadratus lumborum, glutes).
        - Move slowly; hold a tender spot 30 seconds at most.
        - Stop if pain passes 5/10 or runs down the leg.
        Also: progressive strengthening (e.g. 20-minute core circuit twice a week), and moist heat
        for 20 minutes before a session.
        """
}
