import ArgumentParser
import Foundation
import PracticeCore
import PracticeService
import PracticeStore

struct PainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pain",
        abstract: "A client's pain scores, and corrections of them.",
        discussion: """
            Pain scores are never changed or deleted, by `practice` or by anyone with its database \
            login. A wrong score is corrected: the correction is a new entry that supersedes the old \
            one and records who corrected it and why; the old entry stays in the record. Reports and \
            `practice check` use the newest entry. Record new scores with `practice client pain` or \
            `practice appointment complete`.
            """,
        subcommands: [List.self, Correct.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List a client's pain scores, corrected ones included.")
        @Argument(help: ArgumentHelp("The client's id.", valueName: "client"), transform: parseID) var client: Int64
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let client = client
            let entries = try await withService(options) { try await $0.painHistory(clientID: client) }
            if options.json { return try Output.json(entries) }
            if entries.isEmpty { return Output.line("no pain scores for client \(client)") }
            let format = ISO8601DateFormatter()
            Output.table(["ID", "REPORTED (UTC)", "SOURCE", "VISIT", "SCORE", "STATUS"], entries.map { entry in
                let status = entry.supersededBy.map { "corrected by \($0)" }
                    ?? entry.supersedes.map { "corrects \($0): \(entry.correctionReason ?? "")" } ?? "current"
                return [String(entry.id), format.string(from: entry.reportedAt), entry.source.replacingOccurrences(of: "_", with: "-"),
                        entry.appointmentID.map(String.init) ?? "-", "\(entry.score)/10", status]
            })
        }
    }

    struct Correct: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "correct",
            abstract: "Correct a pain score: a new entry supersedes the old one, which is kept.",
            discussion: "Example: practice pain correct 17 --score 4 --reason \"typed 7 for 4\" --by 2")
        @Argument(help: ArgumentHelp("The pain entry's id (see `practice pain list`).", valueName: "entry"), transform: parseID)
        var entry: Int64
        @Option(help: "The right score, 0–10.") var score: Int
        @Option(help: "Why the score is corrected.") var reason: String
        @Option(help: ArgumentHelp("Staff id of who corrects it.", valueName: "staff-id"), transform: parseID) var by: Int64
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let (entry, score, reason, by) = (entry, score, reason, by)
            let correction = try await withService(options) { try await $0.correctPain(entry, score: score, reason: reason, by: by) }
            if options.json { return try Output.json(correction) }
            Output.line("pain entry \(correction.id) corrects entry \(entry) (now \(score)/10); entry \(entry) is kept")
        }
    }
}

extension FeedbackCommand {
    struct Correct: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "correct",
            abstract: "Correct a pressure-feedback entry: a new entry supersedes the old one, which is kept.",
            discussion: "Example: practice feedback correct 5 --discomfort 3 --reason \"client said 3\" --by 2")
        @Argument(help: ArgumentHelp("The feedback entry's id (see `practice feedback list`).", valueName: "entry"), transform: parseID)
        var entry: Int64
        @Option(help: "The right pressure, 0–10.") var pressure: Int?
        @Option(help: "The right discomfort, 0–10.") var discomfort: Int?
        @Option(help: "What you did: eased, held or increased.") var action: PressureAction?
        @Option(help: "Why the entry is corrected.") var reason: String
        @Option(help: ArgumentHelp("Staff id of who corrects it.", valueName: "staff-id"), transform: parseID) var by: Int64
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let (entry, pressure, discomfort, action, reason, by) = (entry, pressure, discomfort, action, reason, by)
            let correction = try await withService(options) {
                try await $0.correctFeedback(entry, pressure: pressure, discomfort: discomfort, action: action, reason: reason, by: by)
            }
            if options.json { return try Output.json(correction) }
            Output.line("feedback entry \(correction.id) corrects entry \(entry); entry \(entry) is kept")
        }
    }
}
