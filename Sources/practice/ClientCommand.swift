import ArgumentParser
import Foundation
import PracticeCore
import PracticeService
import PracticeStore

struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client", abstract: "Clients: registration, lookup, their pain-duration class, discharge and readmission.",
        subcommands: [Add.self, List.self, Show.self, Chart.self, Pain.self, Discharge.self, Readmit.self])

    struct Discharge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "discharge",
            abstract: "Discharge a client: their care here has ended. They leave the check, batch summaries and `client list`.",
            discussion: """
                A client with bookings from the discharge date on is not discharged unless --cancel-bookings, which \
                cancels them. Booking a discharged client is refused until `practice client readmit`.
                Example: practice client discharge 12 --reason "goals met" --cancel-bookings
                """)
        @Argument(help: ArgumentHelp("The client's id.", valueName: "client"), transform: parseID) var client: Int64
        @Option(help: ArgumentHelp("Day of discharge (default today; not in the future).", valueName: "YYYY-MM-DD"),
                transform: parseDate) var date: CalendarDate?
        @Option(help: "Why, e.g. \"goals met\" or \"moved away\".") var reason: String?
        @Flag(name: .customLong("cancel-bookings"), help: "Cancel the client's bookings from the discharge date on.")
        var cancelBookings = false
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let request = PracticeService.DischargeRequest(clientID: client, date: date, reason: reason, cancelBookings: cancelBookings)
            let result = try await withService(options) { try await $0.discharge(request) }
            if options.json { return try Output.json(result) }
            Output.line("discharged client \(client) on \(result.discharge.dischargedOn)"
                + (result.cancelled.isEmpty ? "" : "; cancelled \(result.cancelled.count) booking(s): "
                   + result.cancelled.map { "\($0.id) (\($0.date))" }.joined(separator: ", ")))
        }
    }

    struct Readmit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "readmit",
            abstract: "Readmit a discharged client, so they can be booked and appear in the check again.")
        @Argument(help: ArgumentHelp("The client's id.", valueName: "client"), transform: parseID) var client: Int64
        @Option(help: ArgumentHelp("Day of readmission (default today).", valueName: "YYYY-MM-DD"), transform: parseDate)
        var date: CalendarDate?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let (client, date) = (client, date)
            let closed = try await withService(options) { try await $0.readmit(clientID: client, date: date) }
            if options.json { return try Output.json(closed) }
            Output.line("readmitted client \(client) (discharged \(closed.dischargedOn), readmitted \(closed.readmittedOn.map(\.description) ?? "-"))")
        }
    }

    struct Pain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pain",
            abstract: "Record a pain score the client reported between visits (joins the pain trend).")
        @Argument(help: ArgumentHelp("The client's id.", valueName: "client"), transform: parseID) var client: Int64
        @Option(help: "Pain, 0–10.") var score: Int
        @Option(help: ArgumentHelp("The day it was reported (default now).", valueName: "YYYY-MM-DD"), transform: parseDate)
        var date: CalendarDate?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let (client, score, date) = (client, score, date)
            let report = try await withService(options) { try await $0.reportPain(clientID: client, score: score, date: date) }
            if options.json { return try Output.json(report) }
            Output.line("recorded pain \(report.score)/10 for client \(client) (self-reported)")
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Register a client.",
            discussion: "Example: practice client add --name \"Ana Ruiz\" --dob 1980-04-12 --pain-onset 2026-08-01 --therapist 2")
        @Option(help: "Full name.") var name: String
        @Option(help: ArgumentHelp("Date of birth.", valueName: "YYYY-MM-DD"), transform: parseDate) var dob: CalendarDate
        @Option(name: .customLong("pain-onset"), help: ArgumentHelp("When the low-back pain began.", valueName: "YYYY-MM-DD"),
                transform: parseDate)
        var painOnset: CalendarDate
        @Option(help: "Phone number.") var phone: String?
        @Option(help: "Email address.") var email: String?
        @Option(help: ArgumentHelp("Primary therapist's staff id.", valueName: "staff-id"), transform: parseID)
        var therapist: Int64?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let request = PracticeService.NewClientRequest(name: name, dateOfBirth: dob, painOnset: painOnset, phone: phone,
                                                           email: email, primaryTherapistID: therapist)
            let added = try await withService(options) { try await $0.registerClient(request) }
            let profile = added.value
            if options.json { return try Output.json(profile.client) }
            Output.line("added client \(profile.client.id): \(profile.client.name) — \(profile.painDuration.label) pain (\(profile.painDays) days)")
            added.warnings.forEach(Output.warn)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List clients under care, optionally matching a search; --all adds discharged clients.")
        @Option(help: "Part of a name, phone number or email.") var search: String?
        @Flag(help: "Include discharged clients.") var all = false
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let (search, all) = (search, all)
            let clients = try await withService(options) { try await $0.listClients(search: search, includeDischarged: all) }
            if options.json { return try Output.json(clients) }
            Output.table(["ID", "NAME", "BORN", "PAIN ONSET", "THERAPIST", "PHONE"] + (all ? ["STATUS"] : []), clients.map {
                [String($0.id), $0.name, $0.dateOfBirth.description, $0.painOnset.description,
                 $0.primaryTherapistID.map(String.init) ?? "-", $0.phone ?? "-"] + (all ? [$0.active ? "active" : "discharged"] : [])
            })
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a client, with the pain-duration class and the red-flag screening state.")
        @Argument(help: ArgumentHelp("The client's id.", valueName: "client"), transform: parseID) var client: Int64
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let id = client
            let profile = try await withService(options) { try await $0.clientProfile(id) }.value
            if options.json { return try Output.json(profile) }
            Self.print(profile)
        }

        static func print(_ profile: ClientProfile) {
            let c = profile.client
            Output.fields([
                ("client", "\(c.id): \(c.name)"),
                ("born", "\(c.dateOfBirth) (age \(profile.ageYears))"),
                ("contact", [c.phone, c.email].compactMap { $0 }.joined(separator: ", ").ifEmpty("-")),
                ("therapist", profile.primaryTherapist.map { "\($0) (staff \(c.primaryTherapistID!))" } ?? "-"),
                ("pain onset", "\(c.painOnset), \(profile.painDays) days ago"),
                ("pain duration", "\(profile.painDuration.label) [rule pain-duration]"),
                ("screening", profile.screeningSummary),
                ("may book", profile.mayBook ? "yes" : "no"),
            ] + (profile.discharge.map { [("discharged", "\($0.dischargedOn)" + ($0.reason.map { ": \($0)" } ?? ""))] } ?? []))
            profile.warnings.forEach(Output.warn)
        }
    }

    struct Chart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "chart",
            abstract: "A client's chart: the profile, the last sessions held and today's frequency check, in one read.",
            discussion: """
                What a therapist opens before a session. The check's flags name their rules, as in `practice check`; \
                a discharged client has no check.
                Example: practice client chart 12 --sessions 5
                """)
        @Argument(help: ArgumentHelp("The client's id.", valueName: "client"), transform: parseID) var client: Int64
        @Option(help: ArgumentHelp("How many of the last sessions to show (1–100).", valueName: "n"))
        var sessions = PracticeService.chartSessions
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let (id, count) = (client, sessions)
            let chart = try await withService(options) { try await $0.clientChart(id, sessions: count) }.value
            if options.json { return try Output.json(chart) }
            Show.print(chart.client)
            Output.line()
            Output.line(chart.sessions.isEmpty ? "No sessions held yet." : "Last \(chart.sessions.count) session(s) held, newest first:")
            if !chart.sessions.isEmpty {
                Output.table(["ID", "DATE", "DAY", "TIME", "MIN", "THERAPIST"], chart.sessions.map {
                    [String($0.id), $0.date.description, Weekday.name($0.date.isoWeekday), "\($0.start)–\($0.end)",
                     String($0.minutes), $0.therapistName]
                })
            }
            Output.line()
            guard let report = chart.check else {
                return Output.line("Not under care as of \(chart.asOf) (discharged): no frequency check.")
            }
            let result = PracticeService.CheckResult(asOf: chart.asOf, clients: [report], flaggedClients: report.flags.isEmpty ? 0 : 1)
            CheckCommand.lines(result, total: 1).forEach { Output.line($0) }
        }
    }
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
