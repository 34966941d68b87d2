import ArgumentParser
import Foundation
import PracticeCore
import PracticeStore

struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "A therapist's week: working hours and visits, day by day.",
        discussion: "Example: practice schedule --therapist 2 --week 2026-W49")
    @Option(help: ArgumentHelp("The therapist's staff id.", valueName: "staff-id"), transform: parseID) var therapist: Int64
    @Option(help: ArgumentHelp("ISO week, e.g. 2026-W49 (default: this week).", valueName: "week")) var week: String?
    @OptionGroup var options: PracticeOptions

    struct Day: Encodable {
        var date: CalendarDate
        var weekday: String
        var hours: [String]
        var appointments: [AppointmentView]
    }

    struct Week: Encodable {
        var therapistID: Int64
        var therapist: String
        var week: IsoWeek
        var days: [Day]
    }

    func run() async throws {
        let (therapist, weekText) = (therapist, week)
        let result = try await withPractice(options) { database, practice in
            try await database.read { connection in
                let member = try await StaffRepository.therapist(therapist, field: "--therapist", practiceID: practice.id,
                                                                 on: connection, logger: logger)
                let week = if let weekText { try IsoWeek(parsing: weekText) } else {
                    IsoWeek(containing: try await connection.todayInPractice(practice, logger: logger))
                }
                let hours = try await Scheduling.workingHours(therapistID: therapist, practice: practice, on: connection, logger: logger)
                let visits = try await Scheduling.list(.init(therapistID: therapist, from: week.monday, to: week.monday.adding(days: 6),
                                                             includeCancelled: false),
                                                       practice: practice, on: connection, logger: logger)
                return Week(therapistID: therapist, therapist: member.name, week: week, days: week.days.map { day in
                    Day(date: day, weekday: Weekday.name(day.isoWeekday),
                        hours: hours.filter { $0.weekday == day.isoWeekday }.map { "\($0.starts)–\($0.ends)" },
                        appointments: visits.filter { $0.date == day })
                })
            }
        }
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
            For every active client (or one, with --client) as of today (or --as-of): visits per ISO week over \
            the last 4 weeks, the longest gap, sessions in the current course, and pain at baseline against \
            the latest. Flags, each naming its rule: under-dosed, over-scheduled, sporadic, course-cap, \
            no-improvement, monthly-target, pressure, red-flags, acute-pain. All numbers come from the practice's policy.

            Exit status: 0 nothing flagged; 2 at least one flag (so cron can mail the output); 1 an error.
            """)
    @Option(help: ArgumentHelp("Only this client.", valueName: "client-id"), transform: parseID) var client: Int64?
    @Option(name: .customLong("as-of"), help: ArgumentHelp("Check as of this date.", valueName: "YYYY-MM-DD"), transform: parseDate)
    var asOf: CalendarDate?
    @Flag(name: .customLong("flagged-only"), help: "Only list clients with flags.") var flaggedOnly = false
    @OptionGroup var options: PracticeOptions

    struct Result: Encodable {
        var asOf: CalendarDate
        var clients: [FrequencyReport]
        var flaggedClients: Int
    }

    func run() async throws {
        let (client, asOfOption) = (client, asOf)
        let result = try await withPractice(options) { database, practice in
            try await database.read { connection in
                if let client { _ = try await ClientRepository.get(client, practiceID: practice.id, on: connection, logger: logger) }
                let asOf = if let asOfOption { asOfOption } else { try await connection.todayInPractice(practice, logger: logger) }
                let reports = try await FrequencyCheckQuery.run(practice: practice, clientID: client, asOf: asOf,
                                                                on: connection, logger: logger)
                return Result(asOf: asOf, clients: reports, flaggedClients: reports.filter { !$0.flags.isEmpty }.count)
            }
        }
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
