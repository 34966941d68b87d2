import ArgumentParser
import PracticeCore
import PracticeStore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Create a realistic demo practice to explore (running it again adds nothing).",
        discussion: "Works on the embedded database, or on DATABASE_URL's (migrating it first).")
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let summary = try await withDatabase(migrations: .apply) { database in try await DemoPractice.seed(database) }
        if output.json { return try Output.json(summary) }
        Output.line(summary.created ? "Created the demo practice." : "The demo practice is already here; nothing was added.")
        Output.line()
        Output.fields([
            ("practice", "\(summary.practiceID): \(summary.practiceName) (\(DemoPractice.timeZone))"),
            ("staff", "\(summary.staff) (\(summary.therapists) therapists, an owner, a front desk)"),
            ("providers", "\(summary.providers) physicians, physical therapists and spine specialists"),
            ("clients", "\(summary.clients): \(summary.acute) acute, \(summary.subAcute) sub-acute, \(summary.chronic) chronic"),
            ("red flags", "\(summary.redFlags) screenings, \(summary.redFlagsCleared) cleared by a physician"),
            ("sessions", "\(summary.completedSessions) completed, \(summary.painReports) pain scores, \(summary.pressureFeedback) pressure-feedback entries"),
            ("notes", "\(summary.signedNotes) signed SOAP notes"),
            ("letters", "\(summary.referralLetters) referral letters (prescription, clearance, referral, coordination)"),
            ("booked ahead", "\(summary.series) weekly series, \(summary.upcomingVisits) upcoming visits"),
        ])
        Output.line()
        Output.line("Try:")
        Output.line("  practice check --flagged-only                      who is off the evidence's course, and why")
        Output.line("  practice schedule --therapist 2 --week \(summary.nextWeek)   a therapist's week")
        Output.line("  practice appointment slots --therapist 2 --week \(summary.nextWeek) --minutes 60")
        Output.line("  practice client show 8                             a red flag waiting for a physician's clearance")
    }
}
