import ArgumentParser
import Foundation
import PracticeCore
import PracticeReports
import Synchronization
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
    @Option(help: ArgumentHelp("""
        Also write the flagged clients to this folder, as check-<date>.txt and check-<date>.json (mode 0600; \
        what the daily practice-check.timer does). Prints the files' paths.
        """, valueName: "dir"))
    var outbox: String?
    @OptionGroup var options: PracticeOptions

    func run() async throws {
        let (client, asOf, flaggedOnly) = (client, asOf, flaggedOnly)
        // JSON for a script is streamed, one compact record per client as its row arrives; a
        // person at a terminal gets it indented, and the text report, whole.
        let stream = options.json && !Output.stdoutIsTerminal ? CheckJSONStream() : nil
        let kept = Mutex<(shown: [FrequencyReport], flagged: [FrequencyReport])>(([], []))
        let keepShown = stream == nil, keepFlagged = outbox != nil
        let summary = try await withService(options) { service in
            try await service.check(clientID: client, asOf: asOf, begin: { try stream?.begin(asOf: $0) }) { report in
                let flagged = !report.flags.isEmpty
                let shown = flagged || !flaggedOnly
                if let stream, shown { try stream.add(report) }
                let (show, file) = (keepShown && shown, keepFlagged && flagged)
                guard show || file else { return }
                kept.withLock {
                    if show { $0.shown.append(report) }
                    if file { $0.flagged.append(report) }
                }
            }
        }
        try stream?.end(summary)
        let (shown, flagged) = kept.withLock { ($0.shown, $0.flagged) }
        if let outbox {
            let result = PracticeService.CheckResult(asOf: summary.asOf, clients: flagged, flaggedClients: summary.flaggedClients)
            let folder = URL(fileURLWithPath: outbox).standardizedFileURL.path
            let base = "\(folder)/check-\(summary.asOf)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try ReportFiles.write(String(decoding: try Output.encoder.encode(result), as: UTF8.self) + "\n", to: base + ".json")
            try ReportFiles.write(Self.lines(result, total: summary.clients).joined(separator: "\n") + "\n", to: base + ".txt")
            if !options.json { Output.line("wrote \(base).txt and \(base).json (\(summary.flaggedClients) flagged)") }
        }
        let result = PracticeService.CheckResult(asOf: summary.asOf, clients: shown, flaggedClients: summary.flaggedClients)
        if options.json {
            if stream == nil { try Output.json(result) }
        } else if outbox == nil {
            Self.lines(result, total: summary.clients).forEach { Output.line($0) }
        }
        if summary.flaggedClients > 0 { throw ExitCode(2) }
    }

    static func lines(_ result: PracticeService.CheckResult, total: Int) -> [String] {
        var lines = ["Frequency check as of \(result.asOf): \(total) active client(s), \(result.flaggedClients) flagged"]
        for report in result.clients {
            let m = report.metrics
            let weeks = m.weeks.map { "\($0.visits)" }.joined(separator: " ")
            let pain = m.baselinePain.map { b in "pain \(b) → \(m.latestPain.map(String.init) ?? "?")" } ?? "no pain scores"
            let gap = m.longestGapDays.map { "longest gap \($0)d" } ?? "no gaps"
            lines.append("")
            lines.append("\(m.clientName) (client \(m.clientID)): \(m.sessionsInCourse) session(s) in course; weeks [\(weeks)]; \(gap); \(pain)")
            if report.flags.isEmpty { lines.append("    ok") }
            for flag in report.flags {
                lines.append("    \(flag.severity == .firm ? "!!" : "! ") [\(flag.rule.rawValue)] \(flag.message)")
            }
        }
        return lines
    }
}

/// `check --json`'s object, written as it streams: `{"as_of":…,"clients":[…],"flagged_clients":N}`,
/// keys in the same (sorted) order as the whole-object encoding, one compact client at a time
/// (`FrequencyReport.appendCompactJSON`: the encoder's bytes, written directly).
final class CheckJSONStream: Sendable {
    private let writer = StreamWriter()
    private let encoder = Output.compactEncoder
    private let first = Mutex(true)

    func begin(asOf: CalendarDate) throws {
        try writer.write("{\"as_of\":")
        try writer.write(try encoder.encode(asOf))
        try writer.write(",\"clients\":[")
    }

    func add(_ report: FrequencyReport) throws {
        let separator = first.withLock { first in
            defer { first = false }
            return !first
        }
        var bytes: [UInt8] = separator ? [UInt8(ascii: ",")] : []
        bytes.reserveCapacity(1024)
        report.appendCompactJSON(to: &bytes)
        try writer.write(bytes)
    }

    func end(_ summary: PracticeService.CheckSummary) throws {
        try writer.write("],\"flagged_clients\":\(summary.flaggedClients)}\n")
        try writer.flush()
    }
}
