import Foundation
import PracticeCore

/// One report model behind every format of the coordination summary (Markdown, HTML, PDF, FHIR),
/// so the formats cannot disagree.
public struct CoordinationSummary: Sendable, Codable {
    public struct Party: Sendable, Codable {
        public var id: Int64
        public var name: String
        public var lines: [String]
    }

    public struct Session: Sendable, Codable {
        public var appointmentID: Int64
        public var date: CalendarDate
        public var startsAt: Date
        public var minutes: Int
        public var status: AppointmentStatus
        public var techniques: [Technique]
        public var painBefore: Int?
        public var painAfter: Int?
        public var soreness: Soreness?
    }

    public struct PainPoint: Sendable, Codable {
        public var at: Date
        public var date: CalendarDate
        public var score: Int
        /// before_session, after_session or self_reported
        public var source: String
        public var appointmentID: Int64?
    }

    public struct WeekTrend: Sendable, Codable {
        public var week: IsoWeek
        public var visits: Int
        public var meanPain: Double?
        public var changePercent: Double?
    }

    public struct Pressure: Sendable, Codable {
        public var date: CalendarDate
        public var region: BodyRegion
        public var discomfort: Int
        public var action: PressureAction
        public var flagged: Bool
    }

    public struct NoteExcerpt: Sendable, Codable {
        public var date: CalendarDate
        public var assessment: String
        public var plan: String
        public var addenda: [String]
    }

    public struct Letter: Sendable, Codable {
        public var id: Int64
        public var date: CalendarDate
        public var provider: String
        public var diagnosisCode: String?
        public var wording: String?
        public var sessionsAuthorised: Int?
        public var validUntil: CalendarDate?
        public var body: String?
        public var kind: LetterKind
        public var status: LetterStatus
    }

    public var generatedOn: CalendarDate
    public var practice: Party
    public var therapist: Party?
    public var therapistMskYears: Double?
    public var client: Party
    public var clientBorn: CalendarDate
    public var addressee: Party
    public var addresseeKind: ProviderKind
    public var addresseeNPI: String?
    public var isReferral: Bool
    public var prescription: Letter?
    public var painOnset: CalendarDate
    public var painDuration: PainDuration
    public var screening: String
    public var clearance: String?
    public var sessions: [Session]
    public var painPoints: [PainPoint]
    public var trend: [WeekTrend]
    public var targetPerWeek: ClosedRange<Int>
    public var baselinePain: Int?
    public var latestPain: Int?
    public var expectedRelief: String
    public var pressure: [Pressure]
    public var maxDiscomfort: Int
    public var notes: [NoteExcerpt]
    public var flags: [CheckFlag]
    public var recommendation: Recommendation
    public var coordinationNote: Letter?
    public var referrals: [Letter]
    public var homeProgram: String?

    public var completed: [Session] { sessions.filter { $0.status == .completed } }

    public var changePercent: Double? {
        guard let baseline = baselinePain, let latest = latestPain, baseline > 0 else { return nil }
        return Double(latest - baseline) / Double(baseline) * 100
    }

    public var attendance: String {
        let count = { (status: AppointmentStatus) in sessions.filter { $0.status == status }.count }
        return "\(count(.completed)) completed, \(count(.noShow)) no-show, \(count(.cancelled)) cancelled, \(count(.booked)) booked ahead"
    }

    public var title: String { isReferral ? "Referral and coordination summary" : "Coordination summary" }
}

extension Double {
    /// A signed whole percentage, e.g. "-43%".
    public var percent: String {
        let value = Int(self.rounded())
        return value > 0 ? "+\(value)%" : "\(value)%"
    }
}
