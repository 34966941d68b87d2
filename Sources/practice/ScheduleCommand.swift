import ArgumentParser
import Foundation
import PracticeCore
import PracticeService
import PracticeStore

struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "A therapist's week: working hours and visits, day by day.",
        discussion: "Example: practice schedule --therapist 2 --week 2026-W49")
    @Option(help: ArgumentHelp("The therapist's staff id.", valueName: "staff-id"), transform: parseID) var therapist: Int64
    @Option(help: ArgumentHelp("ISO week, e.g. 2026-W49 (default: this week).", valueName: "week")) var week: String?
    @OptionGroup var options: PracticeOptions

    func run() async throws {
        let (therapist, week) = (therapist, try week.map { text throws(PracticeError) in try IsoWeek(parsing: text) })
        let result = try await withService(options) { try await $0.week(therapistID: therapist, week: week) }
        if options.json { return try Output.json(result) }
        let total = result.days.reduce(0) { $0 + $1.appointments.count }
        Output.line("\(result.therapist) (staff \(result.therapistID)) — week \(result.week), \(result.week.monday) to \(result.week.monday.adding(days: 6)): \(total) visit(s)")
        for day in result.days {
            Output.line()
            Output.line("\(day.weekday.capitalized) \(day.date)   " + (day.hours.isEmpty ? "not working" : "hours " + day.hours.joined(separator: ", ")))
            if day.appointments.isEmpty { Output.line("    (no visits)") }
            for visit in day.appointments {
                Output.line("    \(visit.start)–\(visit.end)  \(visit.clientName) (client \(visit.clientID))  #\(visit.id) \(visit.status.cliName)")
            }
        }
    }
}

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "The frequency check: who is off the evidence's course, and why.",
        discussion: """
            For every client under care (discharged clients leave it; one client with --client) as of today, or \
            as of a past day with --as-of, seeing only what had been recorded by the end of that day: visits per \
            ISO week over the last 4 weeks, the gap from the last session to the next visit, sessions in the \
            current course, and pain at baseline against the latest. Flags, each naming its rule: under-dosed, \
            over-scheduled, sporadic, course-cap, no-improvement, monthly-target, pressure, red-flags, acute-pain, \
            unrecorded-visit. All numbers come from the practice's policy; README.md gives each rule's scope.

            Exit status: 0 nothing flagged; 2 at least one flag (so cron can mail the output); 1 an error.
            """)
    @Option(help: ArgumentHelp("Only this client.", valueName: "client-id"), transform: parseID) var client: Int64?
    @Option(name: .customLong("as-of"), help: ArgumentHelp("Check as of this date.", valueName: "YYYY-MM-DD"), transform: parseDate)
    var asOf: CalendarDate?
    @Flag(name: .customLong("flagged-only"), help: "Only list clients with flags.") var flaggedOnly = false
    @OptionGroup var options: PracticeOptions

    func run() async throws {
        let (client, asOf) = (client, asOf)
        let result = try await withService(options) { try await $0.check(clientID: client, asOf: asOf) }
        var shown = result
        if flaggedOnly { shown.clients = result.clients.filter { !$0.flags.isEmpty } }
        if options.json {
            try Output.json(shown)
        } else {
            Output.line("Frequency check as of \(result.asOf): \(result.clients.count) active client(s), \(result.flaggedClients) flagged")
            for report in shown.clients {
                let m = report.metrics
                let weeks = m.weeks.map { "\($0.visits)" }.joined(separator: " ")
                let pain = m.baselinePain.map { b in "pain \(b) → \(m.latestPain.map(String.init) ?? "?")" } ?? "no pain scores"
                let gap = m.longestGapDays.map { "longest gap \($0)d" } ?? "no gaps"
                Output.line()
                Output.line("\(m.clientName) (client \(m.clientID)): \(m.sessionsInCourse) session(s) in course; weeks [\(weeks)]; \(gap); \(pain)")
                if report.flags.isEmpty { Output.line("    ok") }
                for flag in report.flags {
                    Output.line("    \(flag.severity == .firm ? "!!" : "! ") [\(flag.rule.rawValue)] \(flag.message)")
                }
            }
        }
        if result.flaggedClients > 0 { throw ExitCode(2) }
    }
}
