/// How long a client has had low-back pain, which decides how much massage can be expected to do.
public enum PainDuration: String, Sendable, Codable, CaseIterable {
    case acute
    case subAcute = "sub-acute"
    case chronic

    /// Classifies by whole days since onset: acute under `acuteWeeks`, chronic from `chronicWeeks`.
    public static func classify(onset: CalendarDate, asOf: CalendarDate, policy: EvidencePolicy) -> PainDuration {
        let days = onset.days(until: asOf)
        if days < policy.acuteWeeks * 7 { return .acute }
        if days < policy.chronicWeeks * 7 { return .subAcute }
        return .chronic
    }

    public var label: String { rawValue }
}
