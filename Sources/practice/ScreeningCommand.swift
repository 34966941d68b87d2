import ArgumentParser
import Foundation
import PracticeCore
import PracticeService
import PracticeStore

struct ScreeningCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "screening",
        abstract: "Red-flag screening before massage, and physicians' clearances.",
        discussion: """
            Any red flag (unexplained weight loss or fever; numbness in both legs or loss of bowel/bladder \
            control; history of cancer or recent major trauma) holds all booking until a physician's \
            clearance is on file (`practice screening clear`).
            """,
        subcommands: [Record.self, Clear.self, Correct.self])

    /// The red-flag questions, as `record` asks them and `correct` re-answers them.
    struct Answers: ParsableArguments {
        @Option(name: .customLong("weight-loss-or-fever"), help: "Unexplained weight loss or fever alongside back pain?")
        var weightLossOrFever: YesNo
        @Option(name: .customLong("bilateral-numbness-or-bowel-bladder"),
                help: "Numbness in both legs, or loss of bowel/bladder control?")
        var bilateralNumbnessOrBowelBladder: YesNo
        @Option(name: .customLong("cancer-or-major-trauma"), help: "History of cancer, or recent major trauma such as a car accident?")
        var cancerOrMajorTrauma: YesNo
        @Option(name: .customLong("night-pain"), help: "Night pain? Sharpens the acute-pain warning.") var nightPain: YesNo?
        @Option(name: .customLong("leg-numbness"), help: "Numbness in a leg? Sharpens the acute-pain warning.") var legNumbness: YesNo?

        var value: ScreeningAnswers {
            ScreeningAnswers(
                weightLossOrFever: weightLossOrFever.bool, bilateralNumbnessOrBowelBladder: bilateralNumbnessOrBowelBladder.bool,
                cancerOrMajorTrauma: cancerOrMajorTrauma.bool, nightPain: nightPain?.bool, legNumbness: legNumbness?.bool)
        }
    }

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "record", abstract: "Record a client's answers to the red-flag questions.")
        @Argument(help: ArgumentHelp("The client's id.", valueName: "client"), transform: parseID) var client: Int64
        @OptionGroup var answers: Answers
        @Option(help: ArgumentHelp("Staff id of who asked.", valueName: "staff-id"), transform: parseID) var by: Int64?
        @Option(help: ArgumentHelp("The day the questions were asked, for history entered later (default now; not in the future).",
                                   valueName: "YYYY-MM-DD"), transform: parseDate)
        var date: CalendarDate?
        @OptionGroup var options: PracticeOptions

        struct Result: Encodable {
            var id: Int64
            var screening: Screening
            var redFlags: [String]
            var needsClearance: Bool
            var state: ScreeningStatus
            var warnings: [PracticeCore.Warning]
        }

        func run() async throws {
            let answers = answers.value
            let request = PracticeService.ScreeningRequest(clientID: client, answers: answers, screenedBy: by, date: date)
            let recorded = try await withService(options) { try await $0.recordScreening(request) }
            let screening = recorded.value.screening
            if options.json {
                return try Output.json(Result(id: screening.id, screening: screening, redFlags: recorded.value.redFlags,
                                              needsClearance: recorded.value.needsClearance, state: recorded.value.state,
                                              warnings: recorded.warnings))
            }
            Output.line("recorded screening \(screening.id) for client \(client)")
            if answers.hasRedFlag {
                Output.line("RED FLAG: \(answers.redFlags.joined(separator: "; ")).")
                Output.line("This client needs a physician's clearance before booking. Record it with:")
                Output.line("  practice screening clear \(client) --provider PROVIDER --date YYYY-MM-DD")
            } else {
                Output.line("no red flags: the client may be booked")
            }
            recorded.warnings.forEach(Output.warn)
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "clear",
            abstract: "Record a physician's clearance for a client's latest red-flag screening.")
        @Argument(help: ArgumentHelp("The client's id.", valueName: "client"), transform: parseID) var client: Int64
        @Option(help: ArgumentHelp("The clearing physician's provider id.", valueName: "provider-id"), transform: parseID)
        var provider: Int64
        @Option(help: ArgumentHelp("Date of the clearance.", valueName: "YYYY-MM-DD"), transform: parseDate) var date: CalendarDate
        @Option(help: "A note, e.g. what the physician ruled out.") var note: String?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let (client, provider, date, note) = (client, provider, date, note)
            let clearance = try await withService(options) {
                try await $0.recordClearance(clientID: client, providerID: provider, date: date, note: note)
            }
            if options.json { return try Output.json(clearance) }
            Output.line("recorded clearance \(clearance.id) for client \(client): the client may now be booked")
        }
    }

    struct Correct: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "correct",
            abstract: "Correct a screening's answers: a new screening supersedes the old one, which is kept.",
            discussion: """
                For answers recorded wrongly on the day. A screening with a physician's clearance on file is \
                not corrected: record a new screening. Example: practice screening correct 4 \
                --weight-loss-or-fever no --bilateral-numbness-or-bowel-bladder no --cancer-or-major-trauma no \
                --reason "yes typed for no" --by 2
                """)
        @Argument(help: ArgumentHelp("The screening's id.", valueName: "screening"), transform: parseID) var screening: Int64
        @OptionGroup var answers: Answers
        @Option(help: "Why the answers are corrected.") var reason: String
        @Option(help: ArgumentHelp("Staff id of who corrects them.", valueName: "staff-id"), transform: parseID) var by: Int64
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let answers = answers.value
            let (screening, reason, by) = (screening, reason, by)
            let correction = try await withService(options) {
                try await $0.correctScreening(screening, answers: answers, reason: reason, by: by)
            }
            if options.json { return try Output.json(correction) }
            Output.line("screening \(correction.id) corrects screening \(screening); screening \(screening) is kept")
        }
    }
}
