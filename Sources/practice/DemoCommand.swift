import ArgumentParser
import Foundation
import PracticeCore
import PracticeReports
import PracticeStore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Create a realistic demo practice to explore (running it again adds nothing).",
        discussion: "Works on the embedded database, or on DATABASE_URL's (migrating it first).")
    @OptionGroup var output: OutputOptions

    struct Preview: Sendable {
        var flagged: [(rule: EvidenceRule, clients: [String])]
        var week: IsoWeek
        var visits: [AppointmentView]
        var summary: CoordinationSummary
    }

    func run() async throws {
        let (summary, preview) = try await withDatabase(migrations: .apply) { database in
            let summary = try await DemoPractice.seed(database)
            // What the front desk would look at first: the check, and next week's schedule.
            let preview = try await database.read { c in
                let practice = try await Practices.get(summary.practiceID, on: c, logger: logger)
                let today = try await c.todayInPractice(practice, logger: logger)
                let reports = try await FrequencyCheckQuery.run(practice: practice, asOf: today, on: c, logger: logger)
                let flagged = EvidenceRule.allCases.compactMap { rule -> (rule: EvidenceRule, clients: [String])? in
                    let names = reports.filter { $0.flags.contains { $0.rule == rule } }.map(\.metrics.clientName)
                    return names.isEmpty ? nil : (rule, names)
                }
                let week = IsoWeek(containing: today).adding(weeks: 1)
                let visits = try await Scheduling.list(.init(from: week.monday, to: week.monday.adding(days: 6), includeCancelled: false),
                                                       practice: practice, on: c, logger: logger)
                // Ana's summary for her physical therapist: the sample coordination letter.
                let ana = try await ClientRepository.list(practiceID: practice.id, search: "Ana Ruiz", on: c, logger: logger)[0]
                let physio = try await ProviderRepository.list(practiceID: practice.id, on: c, logger: logger)
                    .first { $0.kind == .physicalTherapist }!
                let summary = try await CoordinationSummary.load(clientID: ana.id, to: physio.id, practice: practice, on: c, logger: logger)
                return Preview(flagged: flagged, week: week, visits: visits, summary: summary)
            }
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
