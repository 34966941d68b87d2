import ArgumentParser
import Foundation
import PracticeCore
import PracticeService
import PracticeStore

struct AppointmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "appointment",
        abstract: "Book, move and cancel visits; check clients in; record no-shows and completed sessions.",
        discussion: """
            Times are the practice's local wall-clock time. A weekly series is computed in local time, so a \
            Tuesday 10:00 series stays at 10:00 across daylight-saving changes; on a change day a time the \
            clock skips moves an hour later, and a time it repeats means the first one.
            """,
        subcommands: [Book.self, List.self, Reschedule.self, Cancel.self, CheckIn.self, NoShow.self, Complete.self,
                      Slots.self])

    static func print(_ appointments: [AppointmentView]) {
        Output.table(["ID", "DATE", "DAY", "TIME", "MIN", "CLIENT", "THERAPIST", "STATUS", "SERIES"], appointments.map {
            [String($0.id), $0.date.description, Weekday.name($0.date.isoWeekday), "\($0.start)–\($0.end)", String($0.minutes),
             "\($0.clientName) (\($0.clientID))", $0.therapistName, $0.status.cliName, $0.seriesID.map(String.init) ?? "-"]
        })
    }

    struct Book: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "book",
            abstract: "Book one visit, or a weekly series with --weekly and --count or --until.",
            discussion: """
                Refused: a double booking of the therapist or the client (names the clashing appointment); \
                a client with an uncleared red flag; an unscreened client (unless --unscreened "reason"); \
                more visits in an ISO week than the policy allows (unless --override "reason"); a time in \
                the past (unless --past). If any date of a series clashes, nothing is booked, unless \
                --skip-conflicts, which leaves those dates out and lists them.

                Examples:
                  practice appointment book 12 --therapist 2 --at "2026-12-01 10:00" --minutes 60
                  practice appointment book 12 --therapist 2 --at "2026-12-01 10:00" --minutes 60 --weekly tue,fri --count 8
                """)
        @Argument(help: ArgumentHelp("The client's id.", valueName: "client"), transform: parseID) var client: Int64
        @Option(help: ArgumentHelp("The therapist's staff id.", valueName: "staff-id"), transform: parseID) var therapist: Int64
        @Option(help: ArgumentHelp("Local date and time of the (first) visit.", valueName: "YYYY-MM-DD HH:MM")) var at: String
        @Option(help: "Length in minutes (the evidence favours 30–60).") var minutes: Int = 60
        @Option(help: ArgumentHelp("Weekdays of a weekly series, e.g. tue,fri or mon-fri.", valueName: "days")) var weekly: String?
        @Option(help: "Number of visits in the series.") var count: Int?
        @Option(help: ArgumentHelp("Last date of the series.", valueName: "YYYY-MM-DD"), transform: parseDate) var until: CalendarDate?
        @Flag(name: .customLong("skip-conflicts"), help: "Leave out clashing dates of a series instead of refusing it.")
        var skipConflicts = false
        @Option(help: "Book past the weekly limit, for this reason (stored with the visit).") var override: String?
        @Option(help: "Book a client who has no red-flag screening, for this reason (stored).") var unscreened: String?
        @Flag(help: "Enter a visit that already happened.") var past = false
        @OptionGroup var options: PracticeOptions

        func validate() throws {
            if weekly == nil, count != nil || until != nil || skipConflicts {
                throw ValidationError("--count, --until and --skip-conflicts go with --weekly")
            }
            if weekly != nil, (count == nil) == (until == nil) {
                throw ValidationError("--weekly needs exactly one of --count N or --until YYYY-MM-DD")
            }
        }

        func run() async throws {
            let at = try LocalDateTime(parsing: at)
            let weeklyRule: (weekdays: Set<Int>, end: WeeklyRecurrence.End)? = try weekly.map { text throws(PracticeError) in
                (try Weekday.parseList(text, field: "--weekly"), count.map(WeeklyRecurrence.End.count) ?? .until(until!))
            }
            let request = BookingRequest(clientID: client, therapistID: therapist, at: at, minutes: minutes, weekly: weeklyRule,
                                         skipConflicts: skipConflicts, overrideReason: override, unscreenedReason: unscreened,
                                         past: past)
            let result = try await withService(options) { try await $0.book(request) }.value
            if options.json { return try Output.json(result) }
            if let series = result.seriesID {
                Output.line("booked series \(series): \(result.appointments.count) visit(s)")
            } else if let only = result.appointments.first {
                Output.line("booked appointment \(only.id): \(only.date) \(only.start)–\(only.end), \(only.clientName) with \(only.therapistName)")
            }
            if result.seriesID != nil { AppointmentCommand.print(result.appointments) }
            for skip in result.skipped { Output.line("skipped \(skip.date) \(skip.start): \(skip.reason)") }
            result.warnings.forEach(Output.warn)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List appointments, oldest first.")
        @Option(help: ArgumentHelp("Only this client.", valueName: "client-id"), transform: parseID) var client: Int64?
        @Option(help: ArgumentHelp("Only this therapist.", valueName: "staff-id"), transform: parseID) var therapist: Int64?
        @Option(help: ArgumentHelp("From this local date.", valueName: "YYYY-MM-DD"), transform: parseDate) var from: CalendarDate?
        @Option(help: ArgumentHelp("To this local date, inclusive.", valueName: "YYYY-MM-DD"), transform: parseDate) var to: CalendarDate?
        @Flag(name: .customLong("hide-cancelled"), help: "Leave out cancelled visits.") var hideCancelled = false
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let filter = Scheduling.AppointmentFilter(clientID: client, therapistID: therapist, from: from, to: to,
                                                      includeCancelled: !hideCancelled)
            let appointments = try await withService(options) { try await $0.listAppointments(filter) }
            if options.json { return try Output.json(appointments) }
            AppointmentCommand.print(appointments)
        }
    }

    struct Reschedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reschedule", abstract: "Move a booked visit; every booking rule applies again.")
        @Argument(help: ArgumentHelp("The appointment's id.", valueName: "appointment"), transform: parseID) var appointment: Int64
        @Option(help: ArgumentHelp("New local date and time.", valueName: "YYYY-MM-DD HH:MM")) var at: String
        @Option(help: "New length in minutes (default: unchanged).") var minutes: Int?
        @Option(help: "Move past the weekly limit, for this reason.") var override: String?
        @Flag(help: "Allow a time in the past.") var past = false
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let (id, at, minutes, override, past) = (appointment, try LocalDateTime(parsing: at), minutes, override, past)
            let outcome = try await withService(options) {
                try await $0.reschedule(id, to: at, minutes: minutes, overrideReason: override, past: past)
            }
            let moved = outcome.value
            if options.json { return try Output.json(moved) }
            Output.line("moved appointment \(moved.id) to \(moved.date) \(moved.start)–\(moved.end)")
            outcome.warnings.forEach(Output.warn)
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a visit, or it and the rest of its series.")
        @Argument(help: ArgumentHelp("The appointment's id.", valueName: "appointment"), transform: parseID) var appointment: Int64
        @Flag(help: "Also cancel every later booked visit of the same series.") var following = false
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let (id, following) = (appointment, following)
            let cancelled = try await withService(options) { try await $0.cancel(id, following: following) }
            if options.json { return try Output.json(cancelled) }
            Output.line("cancelled \(cancelled.count) visit(s): \(cancelled.map { "\($0.id) (\($0.date))" }.joined(separator: ", "))")
        }
    }

    struct CheckIn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check-in", abstract: "Mark a booked client as arrived.")
        @Argument(help: ArgumentHelp("The appointment's id.", valueName: "appointment"), transform: parseID) var appointment: Int64
        @OptionGroup var options: PracticeOptions
        func run() async throws {
            let id = appointment
            try AppointmentCommand.printMoved(try await withService(options) { try await $0.checkIn(id) }, options: options)
        }
    }

    struct NoShow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "no-show", abstract: "Record that a booked client did not come.")
        @Argument(help: ArgumentHelp("The appointment's id.", valueName: "appointment"), transform: parseID) var appointment: Int64
        @OptionGroup var options: PracticeOptions
        func run() async throws {
            let id = appointment
            try AppointmentCommand.printMoved(try await withService(options) { try await $0.markNoShow(id) }, options: options)
        }
    }

    struct Complete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "complete",
            abstract: "Record a completed session: minutes, techniques, pain before and after, soreness, billing.",
            discussion: """
                Not before the visit starts. Billable units follow the 8-minute rule (8–22 minutes = 1 unit, \
                23–37 = 2, …). Marked soreness asks for a follow-up within 24 hours.

                Example: practice appointment complete 41 --minutes 55 --technique swedish --technique trigger-point \
                --pain-before 6 --pain-after 4 --cpt 97124 --fee 95
                """)
        @Argument(help: ArgumentHelp("The appointment's id.", valueName: "appointment"), transform: parseID) var appointment: Int64
        @Option(help: "Minutes actually treated.") var minutes: Int
        @Option(help: "Technique used; repeat for several: swedish, deep-tissue, trigger-point, myofascial-release, mechanical-device, other.")
        var technique: [Technique] = []
        @Option(name: .customLong("pain-before"), help: "Pain before the session, 0–10.") var painBefore: Int
        @Option(name: .customLong("pain-after"), help: "Pain after the session, 0–10.") var painAfter: Int
        @Option(help: "Post-session soreness: none, mild or marked.") var soreness: Soreness = .none
        @Option(help: "CPT code billed: 97124 (massage) or 97140 (manual therapy).") var cpt: CPTCode?
        @Option(help: "Session fee, e.g. 95 or 95.50.") var fee: String?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let request = PracticeService.CompletionRequest(appointmentID: appointment, minutes: minutes, techniques: technique,
                                                            painBefore: painBefore, painAfter: painAfter, soreness: soreness,
                                                            cpt: cpt, fee: fee)
            let id = appointment
            let done = try await withService(options) { try await $0.complete(request) }.value
            if options.json { return try Output.json(done) }
            Output.line("completed appointment \(id): \(done.minutes) min, pain \(done.painBefore) → \(done.painAfter)"
                + (done.cptCode.map { ", CPT \($0) × \(done.units ?? 0) unit(s)" } ?? "")
                + (done.fee.map { ", fee \($0)" } ?? ""))
            done.warnings.forEach(Output.warn)
        }
    }

    static func printMoved(_ moved: AppointmentView, options: PracticeOptions) throws {
        if options.json { return try Output.json(moved) }
        Output.line("appointment \(moved.id) (\(moved.date) \(moved.start), \(moved.clientName)) is now \(moved.status.cliName)")
    }

    struct Slots: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "slots",
            abstract: "Free slots in a therapist's working hours for a week (set hours with `practice staff hours`).")
        @Option(help: ArgumentHelp("The therapist's staff id.", valueName: "staff-id"), transform: parseID) var therapist: Int64
        @Option(help: ArgumentHelp("ISO week, e.g. 2026-W49 (default: this week).", valueName: "week")) var week: String?
        @Option(help: "Length of the visit in minutes.") var minutes: Int = BookingRules.Minutes.defaultVisit
        @Option(help: "Minutes between candidate start times.") var step: Int = BookingRules.Minutes.defaultSlotStep
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let request = PracticeService.SlotsRequest(therapistID: therapist, week: try week.map { text throws(PracticeError) in
                try IsoWeek(parsing: text)
            }, minutes: minutes, step: step)
            let slots = try await withService(options) { try await $0.freeSlots(request) }
            if options.json { return try Output.json(slots) }
            for day in slots {
                Output.line("\(day.weekday) \(day.date)  " + (day.starts.isEmpty ? "-" : day.starts.map(\.description).joined(separator: " ")))
            }
        }
    }
}
