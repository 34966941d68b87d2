import ArgumentParser
import Foundation
import PracticeCore
import PracticeReports
import PracticeService
import PracticeStore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Create a realistic demo practice to explore (running it again adds nothing).",
        discussion: "Works on the embedded database, or on DATABASE_URL's (migrating it first).")
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let (summary, preview) = try await withService(migrations: .apply) { service in
            let summary = try await DemoPractice.seed(service.database)
            // What the front desk would look at first: the check, and next week's schedule.
            let demo = PracticeService(database: service.database, context: ServiceContext(practiceID: summary.practiceID))
            let preview = try await demo.demoPreview()
            return (summary, preview)
        }
        let pdf = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("demo-coordination-summary.pdf").path
        let pages = try ReportFiles.writeAtomically(to: pdf) { try PDFRenderer.render(preview.summary, paper: .letter, to: $0) }
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
        Output.line("practice check (\(preview.flagged.reduce(0) { $0 + $1.clients.count }) flags):")
        for (rule, clients) in preview.flagged {
            Output.line("  \(rule.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)) \(clients.joined(separator: ", "))")
        }
        Output.line()
        Output.line("Next week, \(preview.week) (\(preview.visits.count) visits booked as weekly series):")
        for day in preview.week.days {
            let visits = preview.visits.filter { $0.date == day }
            guard !visits.isEmpty else { continue }
            Output.line("  \(Weekday.name(day.isoWeekday)) \(day)  " + visits.map { "\($0.start) \($0.clientName) (\($0.therapistName.split(separator: " ").first ?? ""))" }
                .joined(separator: " · "))
        }
        Output.line()
        Output.line("Sample coordination summary (Ana Ruiz → her physical therapist, \(pages) pages): \(pdf)")
        Output.line()
        Output.line("Try:")
        Output.line("  practice check --flagged-only                      who is off the evidence's course, and why")
        Output.line("  practice schedule --therapist 2 --week \(summary.nextWeek)   a therapist's week")
        Output.line("  practice appointment slots --therapist 2 --week \(summary.nextWeek) --minutes 60")
        Output.line("  practice client show 8                             a red flag waiting for a physician's clearance")
    }
}
