/// The red-flag screening asked before massage: the evidence's three reasons to see a doctor
/// first, plus night pain and leg numbness, which sharpen the acute-pain warning.
public struct Screening: Sendable, Codable, Equatable, Identifiable {
    public var id: Int64
    public var clientID: Int64
    public var weightLossOrFever: Bool
    public var bilateralNumbnessOrBowelBladder: Bool
    public var cancerOrMajorTrauma: Bool
    public var nightPain: Bool?
    public var legNumbness: Bool?
    public var screenedBy: Int64?
    public var screenedAt: String

    public init(id: Int64, clientID: Int64, answers: ScreeningAnswers, screenedBy: Int64?, screenedAt: String) {
        self.id = id
        self.clientID = clientID
        self.weightLossOrFever = answers.weightLossOrFever
        self.bilateralNumbnessOrBowelBladder = answers.bilateralNumbnessOrBowelBladder
        self.cancerOrMajorTrauma = answers.cancerOrMajorTrauma
        self.nightPain = answers.nightPain
        self.legNumbness = answers.legNumbness
        self.screenedBy = screenedBy
        self.screenedAt = screenedAt
    }

    public var answers: ScreeningAnswers {
        ScreeningAnswers(weightLossOrFever: weightLossOrFever,
                         bilateralNumbnessOrBowelBladder: bilateralNumbnessOrBowelBladder,
                         cancerOrMajorTrauma: cancerOrMajorTrauma, nightPain: nightPain, legNumbness: legNumbness)
    }
}

public struct ScreeningAnswers: Sendable, Codable, Equatable {
    public var weightLossOrFever: Bool
    public var bilateralNumbnessOrBowelBladder: Bool
    public var cancerOrMajorTrauma: Bool
    public var nightPain: Bool?
    public var legNumbness: Bool?

    public init(weightLossOrFever: Bool, bilateralNumbnessOrBowelBladder: Bool, cancerOrMajorTrauma: Bool,
                nightPain: Bool? = nil, legNumbness: Bool? = nil) {
        self.weightLossOrFever = weightLossOrFever
        self.bilateralNumbnessOrBowelBladder = bilateralNumbnessOrBowelBladder
        self.cancerOrMajorTrauma = cancerOrMajorTrauma
        self.nightPain = nightPain
        self.legNumbness = legNumbness
    }

    /// The red flags answered yes, in the evidence's words.
    public var redFlags: [String] {
        var flags: [String] = []
        if weightLossOrFever { flags.append("unexplained weight loss or fever") }
        if bilateralNumbnessOrBowelBladder { flags.append("numbness in both legs or loss of bowel/bladder control") }
        if cancerOrMajorTrauma { flags.append("history of cancer or recent major trauma") }
        return flags
    }

    public var hasRedFlag: Bool { !redFlags.isEmpty }

    /// Night pain or leg numbness: with acute pain, the warning to see a doctor first is stronger.
    public var sharpensAcuteWarning: Bool { nightPain == true || legNumbness == true }
}

/// A physician's clearance that lifts the booking hold a red-flag screening puts on a client.
public struct Clearance: Sendable, Codable, Equatable, Identifiable {
    public var id: Int64
    public var clientID: Int64
    public var screeningID: Int64
    public var providerID: Int64
    public var clearedOn: CalendarDate
    public var note: String?

    public init(id: Int64, clientID: Int64, screeningID: Int64, providerID: Int64, clearedOn: CalendarDate, note: String?) {
        self.id = id
        self.clientID = clientID
        self.screeningID = screeningID
        self.providerID = providerID
        self.clearedOn = clearedOn
        self.note = note
    }
}

/// Where a client stands on the screening gate: the one question the front desk asks before booking.
public enum ScreeningState: Sendable, Equatable {
    case notScreened
    case clear(screeningID: Int64)
    case needsClearance(screeningID: Int64, redFlags: [String])
    case cleared(screeningID: Int64, clearanceID: Int64, redFlags: [String])

    /// Decides from the latest screening and the clearance recorded against it, if any.
    public static func from(latest: Screening?, clearance: Clearance?) -> ScreeningState {
        guard let latest else { return .notScreened }
        let flags = latest.answers.redFlags
        if flags.isEmpty { return .clear(screeningID: latest.id) }
        if let clearance, clearance.screeningID == latest.id {
            return .cleared(screeningID: latest.id, clearanceID: clearance.id, redFlags: flags)
        }
        return .needsClearance(screeningID: latest.id, redFlags: flags)
    }

    public var mayBook: Bool {
        switch self {
        case .clear, .cleared: true
        case .notScreened, .needsClearance: false
        }
    }

    public var code: ScreeningStatus {
        switch self {
        case .notScreened: .notScreened
        case .clear: .clear
        case .needsClearance: .needsClearance
        case .cleared: .cleared
        }
    }

    /// One plain sentence for the front desk.
    public var summary: String {
        switch self {
        case .notScreened:
            "not screened yet: record a red-flag screening before booking"
        case .clear:
            "screened, no red flags"
        case .needsClearance(_, let flags):
            "RED FLAG (\(flags.joined(separator: "; "))): no booking until a physician's clearance is on file"
        case .cleared(_, let clearanceID, let flags):
            "red flag (\(flags.joined(separator: "; "))) cleared by a physician (clearance \(clearanceID))"
        }
    }
}

/// The screening gate's state by a stable name: what `client show --json` and the check carry.
public enum ScreeningStatus: String, Sendable, Codable, CaseIterable {
    case notScreened = "not-screened"
    case clear
    case needsClearance = "needs-clearance"
    case cleared
}

/// The acute-pain warning (rule `acute-pain`): medical evaluation first, more firmly with night
/// pain or leg numbness. Nil when the pain is not acute.
public func acutePainWarning(duration: PainDuration, answers: ScreeningAnswers?) -> Warning? {
    guard duration == .acute else { return nil }
    if answers?.sharpensAcuteWarning == true {
        var signs: [String] = []
        if answers?.nightPain == true { signs.append("night pain") }
        if answers?.legNumbness == true { signs.append("leg numbness") }
        return Warning(.acutePainSharp, rule: .acutePain,
                       "acute pain with \(signs.joined(separator: " and ")): refer for medical evaluation before massage")
    }
    return Warning(.acutePain, rule: .acutePain, "acute pain (under the policy's acute threshold): medical evaluation first")
}
