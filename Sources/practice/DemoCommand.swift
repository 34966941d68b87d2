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
        discussion: """
            Works on the embedded database, or on DATABASE_URL's (migrating it first).

            --scale CLIENTS instead makes large practices for scale tests and benchmarks, in bulk \
            (set-based SQL through the real schema, its constraints and triggers): therapists with working \
            hours, clients in every pain-duration class, weekly series of about ten visits over the last two \
            years with cancellations, no-shows and reschedules, pain scores, pressure feedback, signed notes \
            with addenda, letters and discharges. Each run adds new practices (`Scale Practice …`); \
            --practices N spreads the clients over N of them. A progress bar shows on a terminal.
            """)
    @Option(help: ArgumentHelp("Make large practices with this many clients in all (about ten sessions each).", valueName: "clients"))
    var scale: Int?
    @Option(help: ArgumentHelp("With --scale: spread the clients over this many practices.", valueName: "n"))
    var practices = 1
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let scale, !(1...10_000_000).contains(scale) { throw ValidationError("--scale: must be 1–10000000 clients") }
        guard (1...1_000).contains(practices) else { throw ValidationError("--practices: must be 1–1000") }
        if scale == nil, practices != 1 { throw ValidationError("--practices goes with --scale") }
        if let scale, practices > scale { throw ValidationError("--practices: at most one per client (--scale \(scale))") }
    }

    struct ScaleSummary: Encodable {
        var practiceID: Int64
        var practices: [PracticeService.ScalePractice]
        var clients: Int
        var sessions: Int
        var seconds: Double
    }

    func run() async throws {
        if let scale { return try await runScale(scale) }
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

    func runScale(_ total: Int) async throws {
        let started = ContinuousClock.now
        let terminal = isatty(STDERR_FILENO) == 1
        let count = practices
        let made = try await withService(migrations: .apply) { service in
            var made: [PracticeService.ScalePractice] = []
            for index in 0..<count {
                let clients = total / count + (index < total % count ? 1 : 0)
                let prefix = count == 1 ? "" : "practice \(index + 1)/\(count): "
                made.append(try await service.scaleDemo(clients: clients) { done, all, label in
                    guard terminal else { return }
                    let filled = all == 0 ? 30 : done * 30 / all
                    Output.progress("\r\u{1B}[2K[\(String(repeating: "#", count: filled))\(String(repeating: " ", count: 30 - filled))] "
                                    + "\(all == 0 ? 100 : done * 100 / all)% \(prefix)\(label)")
                })
            }
            return made
        }
        if terminal { Output.progress("\r\u{1B}[2K") }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let summary = ScaleSummary(practiceID: made.first?.practiceID ?? 0, practices: made,
                                   clients: made.reduce(0) { $0 + $1.counts.clients },
                                   sessions: made.reduce(0) { $0 + $1.counts.sessions }, seconds: seconds)
        if output.json { return try Output.json(summary) }
        for practice in made {
            let c = practice.counts
            Output.line("practice \(practice.practiceID) (\(practice.name)):")
            Output.fields([
                ("clients", "\(c.clients): \(c.acute) acute, \(c.subAcute) sub-acute, \(c.chronic) chronic; \(c.discharged) discharged"),
                ("staff", "\(c.staff) (\(c.therapists) therapists); \(c.providers) providers"),
                ("screenings", "\(c.screenings), \(c.redFlags) with red flags, \(c.clearances) cleared"),
                ("sessions", "\(c.sessions) in \(c.series) weekly series: \(c.completed) completed, \(c.cancelled) cancelled, "
                    + "\(c.noShows) no-shows, \(c.rescheduled) rescheduled, \(c.booked) booked ahead"),
                ("records", "\(c.painReports) pain scores, \(c.pressureFeedback) pressure feedback, \(c.signedNotes) signed notes, "
                    + "\(c.addenda) addenda, \(c.letters) letters"),
            ])
        }
        Output.line(String(format: "%d clients and %d sessions in %.1f s", summary.clients, summary.sessions, seconds))
    }
}
