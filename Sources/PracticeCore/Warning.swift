/// A warning that travels with a result: the rule behind it (when one applies), a stable code a
/// script or the API can match on, and a sentence for a person. Never matched by its text.
public struct Warning: Sendable, Codable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable, CaseIterable {
        case acutePain = "acute-pain"
        case acutePainSharp = "acute-pain-sharp"
        case redFlagUncleared = "red-flag-uncleared"
        case notScreened = "not-screened"
        case bookedUnscreened = "booked-unscreened"
        case sessionLength = "session-length"
        case weeklyOverride = "weekly-limit-override"
        case dstShifted = "dst-shifted"
        case dstRepeated = "dst-repeated"
        case prescriptionSessions = "prescription-sessions"
        case prescriptionExpired = "prescription-expired"
        case soreness = "soreness-follow-up"
        case therapistExperience = "therapist-experience"
        case pressure = "pressure"
        case noPrescription = "no-prescription"
    }

    public var code: Code
    public var rule: EvidenceRule?
    public var message: String

    public init(_ code: Code, rule: EvidenceRule? = nil, _ message: String) {
        self.code = code
        self.rule = rule
        self.message = message
    }

    /// The sentence, with the rule named the way every flag names it.
    public var description: String { rule.map { "\(message) [rule \($0.rawValue)]" } ?? message }
}
