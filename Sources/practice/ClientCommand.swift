import ArgumentParser
import Foundation
import PracticeCore
import PracticeStore

struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client", abstract: "Clients: registration, lookup and their pain-duration class.",
        subcommands: [Add.self, List.self, Show.self, Pain.self])

    struct Pain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a pain score the client reported between visits (joins the pain trend).")
        @Argument(help: ArgumentHelp("The client's id.", valueName: "client"), transform: parseID) var client: Int64
        @Option(help: "Pain, 0–10.") var score: Int
        @Option(help: ArgumentHelp("The day it was reported (default now).", valueName: "YYYY-MM-DD"), transform: parseDate)
        var date: CalendarDate?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            try PainScore.check(score, field: "--score")
            let (client, score, date) = (client, score, date)
            let report = try await withPractice(options) { database, practice in
                try await database.transaction {
                    try await ClinicalRecords.reportPain(clientID: client, score: score, date: date, practice: practice, on: $0, logger: logger)
                }
            }
            if options.json { return try Output.json(report) }
            Output.line("recorded pain \(report.score)/10 for client \(client) (self-reported)")
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
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
            let (name, dob, onset, phone, email, therapist) = (name, dob, painOnset, phone, email, therapist)
            let profile = try await withPractice(options) { database, practice in
                try await database.transaction { connection in
                    let today = try await connection.todayInPractice(practice, logger: logger)
                    let new = try NewClient(name: name, dateOfBirth: dob, painOnset: onset, phone: phone, email: email,
                                            primaryTherapistID: therapist, today: today)
                    let client = try await ClientRepository.add(new, practiceID: practice.id, on: connection, logger: logger)
                    return try await ClientProfile.load(clientID: client.id, practice: practice, on: connection, logger: logger)
                }
            }
            if options.json { return try Output.json(profile.client) }
            Output.line("added client \(profile.client.id): \(profile.client.name) — \(profile.painDuration.label) pain (\(profile.painDays) days)")
            profile.warnings.forEach(Output.warn)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clients, optionally matching a search.")
        @Option(help: "Part of a name, phone number or email.") var search: String?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let search = search
            let clients = try await withPractice(options) { database, practice in
                try await database.read { try await ClientRepository.list(practiceID: practice.id, search: search, on: $0, logger: logger) }
            }
            if options.json { return try Output.json(clients) }
            Output.table(["ID", "NAME", "BORN", "PAIN ONSET", "THERAPIST", "PHONE"], clients.map {
                [String($0.id), $0.name, $0.dateOfBirth.description, $0.painOnset.description,
                 $0.primaryTherapistID.map(String.init) ?? "-", $0.phone ?? "-"]
            })
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a client, with the pain-duration class and the red-flag screening state.")
        @Argument(help: ArgumentHelp("The client's id.", valueName: "client"), transform: parseID) var client: Int64
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let id = client
            let profile = try await withPractice(options) { database, practice in
                try await database.read { try await ClientProfile.load(clientID: id, practice: practice, on: $0, logger: logger) }
            }
            if options.json { return try Output.json(profile) }
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
            ])
            profile.warnings.forEach(Output.warn)
        }
    }
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
