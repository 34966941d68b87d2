import ArgumentParser
import Foundation
import PracticeCore
import PracticeService
import PracticeStore

struct FeedbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback",
        abstract: "In-session pressure feedback: region, pressure, the client's discomfort, and what you did.",
        discussion: """
            Discomfort above the policy's maximum (5/10) without "eased" is flagged at once, and again in \
            `practice check`. Increasing pressure above that maximum is refused unless --confirm.
            """,
        subcommands: [Add.self, List.self, Correct.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Record one pressure-feedback entry.")
        @Argument(help: ArgumentHelp("The appointment's id.", valueName: "appointment"), transform: parseID) var appointment: Int64
        @Option(help: "Body region: lumbar-left, lumbar-right, thoracic, glutes, quadratus-lumborum, hips, hamstrings, other.")
        var region: BodyRegion
        @Option(help: "Pressure level, 0–10.") var pressure: Int
        @Option(help: "The client's discomfort, 0–10.") var discomfort: Int
        @Option(help: "What you did: eased, held or increased.") var action: PressureAction
        @Option(help: "A short note.") var note: String?
        @Flag(help: "Confirm increasing pressure although discomfort is above the maximum.") var confirm = false
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let request = PracticeService.FeedbackRequest(appointmentID: appointment, region: region, pressure: pressure,
                                                          discomfort: discomfort, action: action, note: note, confirm: confirm)
            let entry = try await withService(options) { try await $0.addFeedback(request) }.value
            if options.json { return try Output.json(entry) }
            Output.line("recorded feedback \(entry.id): \(entry.region.cliName), pressure \(entry.pressure), discomfort \(entry.discomfort)/10, \(entry.action.rawValue)")
            if let flag = entry.flag { Output.warn("FLAG: " + flag) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List a session's pressure feedback, with flags.")
        @Argument(help: ArgumentHelp("The appointment's id.", valueName: "appointment"), transform: parseID) var appointment: Int64
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let id = appointment
            let entries = try await withService(options) { try await $0.feedback(appointmentID: id) }
            if options.json { return try Output.json(entries) }
            Output.table(["ID", "REGION", "PRESSURE", "DISCOMFORT", "ACTION", "FLAG", "NOTE"], entries.map {
                [String($0.id), $0.region.cliName, String($0.pressure), "\($0.discomfort)/10", $0.action.rawValue,
                 $0.flag == nil ? "" : "FLAG", $0.note ?? ""]
            })
        }
    }
}

struct NoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note",
        abstract: "SOAP notes: draft, edit, sign (treating therapist only), then addenda for corrections.",
        discussion: "A signed note never changes; PostgreSQL itself refuses any change to it or its removal.",
        subcommands: [Draft.self, Edit.self, Sign.self, Show.self, Addendum.self, List.self])

    struct SOAPOptions: ParsableArguments {
        @Option(help: "S: what the client reports.") var subjective: String?
        @Option(help: "O: what you found.") var objective: String?
        @Option(help: "A: your assessment.") var assessment: String?
        @Option(help: "P: the plan.") var plan: String?
        @Option(name: .customLong("home-program"), help: "Home program for the client; `default` for the evidence's self-massage rules.")
        var homeProgram: String?
        @Option(name: .customLong("from-file"),
                help: ArgumentHelp("Read sections from a file with lines 'S:', 'O:', 'A:', 'P:', 'Home:' starting each section.", valueName: "path"))
        var fromFile: String?

        func soap() throws -> SessionNotes.SOAP {
            // `--home-program default` is expanded by the service, the same for every face.
            var soap = SessionNotes.SOAP(subjective: subjective, objective: objective, assessment: assessment, plan: plan,
                                         homeProgram: homeProgram)
            if let fromFile {
                var current: WritableKeyPath<SessionNotes.SOAP, String?>?
                var sections: [WritableKeyPath<SessionNotes.SOAP, String?>: [String]] = [:]
                let keys: [(String, WritableKeyPath<SessionNotes.SOAP, String?>)] = [
                    ("S:", \.subjective), ("O:", \.objective), ("A:", \.assessment), ("P:", \.plan), ("Home:", \.homeProgram)]
                for line in try readTextFile(fromFile, field: "--from-file").split(separator: "\n", omittingEmptySubsequences: false) {
                    if let (prefix, key) = keys.first(where: { line.hasPrefix($0.0) }) {
                        current = key
                        sections[key, default: []].append(line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces))
                    } else if let current {
                        sections[current, default: []].append(String(line))
                    }
                }
                guard !sections.isEmpty else {
                    throw PracticeError.invalid(field: "--from-file", reason: "no 'S:', 'O:', 'A:' or 'P:' section found")
                }
                for (key, lines) in sections where soap[keyPath: key] == nil {
                    soap[keyPath: key] = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
                }
            }
            return soap
        }
    }

    static func show(_ note: SessionNotes.Note) {
        Output.line("Note \(note.id) — \(note.clientName), session \(note.appointmentID) on \(note.date) with \(note.therapistName) — \(note.status.uppercased())")
        for (label, text) in [("S", note.subjective), ("O", note.objective), ("A", note.assessment), ("P", note.plan)] {
            Output.line("\(label): \(text.isEmpty ? "-" : text)")
        }
        if let home = note.homeProgram { Output.line("Home program:\n\(home)") }
        if let at = note.signedAt { Output.line("Signed by \(note.therapistName) at \(at.formatted(.iso8601))") }
        for addendum in note.addenda {
            Output.line("Addendum \(addendum.id), \(addendum.createdAt.formatted(.iso8601)), \(addendum.author) — \(addendum.reason): \(addendum.text)")
        }
    }

    struct Draft: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "draft", abstract: "Draft the SOAP note of a session.")
        @Argument(help: ArgumentHelp("The appointment's id.", valueName: "appointment"), transform: parseID) var appointment: Int64
        @OptionGroup var soap: SOAPOptions
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let (id, sections) = (appointment, try soap.soap())
            let note = try await withService(options) { try await $0.draftNote(appointmentID: id, soap: sections) }
            if options.json { return try Output.json(note) }
            Output.line("drafted note \(note.id) for session \(note.appointmentID); sign it with `practice note sign \(note.id) --as \(note.therapistID)`")
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "edit", abstract: "Change sections of a draft note (a signed note needs an addendum).")
        @Argument(help: ArgumentHelp("The note's id.", valueName: "note"), transform: parseID) var note: Int64
        @OptionGroup var soap: SOAPOptions
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let (id, sections) = (note, try soap.soap())
            let edited = try await withService(options) { try await $0.editNote(id, soap: sections) }
            if options.json { return try Output.json(edited) }
            Output.line("updated note \(edited.id)")
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sign", abstract: "Sign a note; only the treating therapist may. Signed notes never change.")
        @Argument(help: ArgumentHelp("The note's id.", valueName: "note"), transform: parseID) var note: Int64
        @Option(name: .customLong("as"), help: ArgumentHelp("Your staff id.", valueName: "staff-id"), transform: parseID) var signer: Int64
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let (id, signer) = (note, signer)
            let signed = try await withService(options) { try await $0.signNote(id, signer: signer) }
            if options.json { return try Output.json(signed) }
            Output.line("signed note \(signed.id); corrections from now on are addenda")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a note with its addenda, in order.")
        @Argument(help: ArgumentHelp("The note's id.", valueName: "note"), transform: parseID) var note: Int64
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let id = note
            let shown = try await withService(options) { try await $0.note(id) }
            if options.json { return try Output.json(shown) }
            NoteCommand.show(shown)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List a client's notes.")
        @Option(help: ArgumentHelp("The client's id.", valueName: "client-id"), transform: parseID) var client: Int64
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let id = client
            let notes = try await withService(options) { try await $0.notes(clientID: id) }
            if options.json { return try Output.json(notes) }
            Output.table(["ID", "DATE", "SESSION", "THERAPIST", "STATUS", "ADDENDA", "ASSESSMENT"], notes.map {
                [String($0.id), $0.date.description, String($0.appointmentID), $0.therapistName, $0.status, String($0.addenda.count),
                 String($0.assessment.prefix(50))]
            })
        }
    }

    struct Addendum: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "addendum", abstract: "Add a correction to a signed note (author, time and reason are kept).")
        @Argument(help: ArgumentHelp("The note's id.", valueName: "note"), transform: parseID) var note: Int64
        @Option(help: "Why the correction is needed.") var reason: String
        @Option(help: "The correction.") var text: String
        @Option(name: .customLong("as"), help: ArgumentHelp("Your staff id.", valueName: "staff-id"), transform: parseID) var author: Int64
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let (id, reason, text, author) = (note, reason, text, author)
            let updated = try await withService(options) { try await $0.addAddendum(to: id, author: author, reason: reason, text: text) }
            if options.json { return try Output.json(updated) }
            Output.line("added addendum \(updated.addenda.last!.id) to note \(updated.id)")
        }
    }
}

struct ReferralCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "referral",
        abstract: "Letters: incoming prescriptions and clearances, outgoing referrals and coordination notes.",
        subcommands: [Add.self, List.self, Show.self, Edit.self, Send.self, Acknowledge.self])

    static func show(_ letter: ReferralLetters.Letter) {
        Output.fields([
            ("letter", "\(letter.id): \(letter.direction.rawValue) \(letter.kind.rawValue), \(letter.status.rawValue)"),
            ("client", "\(letter.clientName) (\(letter.clientID))"),
            (letter.direction == .incoming ? "from" : "to", "\(letter.providerName) (\(letter.providerKind.cliName))"),
            ("date", letter.date.description),
        ] + [
            letter.diagnosisCode.map { ("diagnosis", $0) }, letter.wording.map { ("wording", $0) },
            letter.sessionsAuthorised.map { ("sessions", String($0)) }, letter.validUntil.map { ("valid until", $0.description) },
            letter.reasonRule.map { ("reason rule", $0) }, letter.sentAt.map { ("sent", $0.formatted(.iso8601)) },
            letter.acknowledgedAt.map { ("acknowledged", $0.formatted(.iso8601)) },
        ].compactMap { $0 })
        if let body = letter.body { Output.line(); Output.line(body) }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a letter. An outgoing referral without --text is drafted from the client's course and the check's flag.",
            discussion: """
                Examples:
                  practice referral add 1 --direction incoming --kind prescription --provider 1 --date 2026-10-21 \\
                    --diagnosis M54.50 --wording "therapeutic massage for low-back pain" --sessions 12 --valid-until 2027-01-19
                  practice referral add 13 --direction outgoing --kind referral --provider 2
                  practice referral add 1 --direction outgoing --kind coordination --provider 3 --text "…"
                An incoming clearance for a client held by a red flag also records the clearance.
                """)
        @Argument(help: ArgumentHelp("The client's id.", valueName: "client"), transform: parseID) var client: Int64
        @Option(help: "incoming or outgoing.") var direction: LetterDirection
        @Option(help: "prescription or clearance (incoming); referral or coordination (outgoing).") var kind: LetterKind
        @Option(help: ArgumentHelp("The provider's id.", valueName: "provider-id"), transform: parseID) var provider: Int64
        @Option(help: ArgumentHelp("The letter's date (default today).", valueName: "YYYY-MM-DD"), transform: parseDate) var date: CalendarDate?
        @Option(help: "ICD-10 diagnosis code of a prescription, e.g. M54.50.") var diagnosis: String?
        @Option(help: "The prescription's wording.") var wording: String?
        @Option(help: "Sessions the prescription authorises.") var sessions: Int?
        @Option(name: .customLong("valid-until"), help: ArgumentHelp("When the prescription expires.", valueName: "YYYY-MM-DD"),
                transform: parseDate) var validUntil: CalendarDate?
        @Option(help: "The rule behind a drafted referral, e.g. no-improvement (default: the check's firmest flag).")
        var reason: EvidenceRule?
        @Option(help: "The letter's text.") var text: String?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let request = PracticeService.LetterRequest(clientID: client, providerID: provider, direction: direction, kind: kind,
                                                        date: date, diagnosisCode: diagnosis, wording: wording,
                                                        sessionsAuthorised: sessions, validUntil: validUntil, reasonRule: reason,
                                                        body: text)
            let added = try await withService(options) { try await $0.addLetter(request) }
            if options.json { return try Output.json(added) }
            Output.line("added letter \(added.letter.id): \(added.letter.direction.rawValue) \(added.letter.kind.rawValue) (\(added.letter.status.rawValue))")
            if let clearance = added.clearanceID { Output.line("recorded clearance \(clearance): the client may now be booked") }
            if added.letter.status == .draft {
                Output.line("review it with `practice referral show \(added.letter.id)`, change it with `referral edit`, then `referral send`")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List a client's letters.")
        @Option(help: ArgumentHelp("The client's id.", valueName: "client-id"), transform: parseID) var client: Int64
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let id = client
            let letters = try await withService(options) { try await $0.letters(clientID: id) }
            if options.json { return try Output.json(letters) }
            Output.table(["ID", "DATE", "DIRECTION", "KIND", "STATUS", "PROVIDER"], letters.map {
                [String($0.id), $0.date.description, $0.direction.rawValue, $0.kind.rawValue, $0.status.rawValue, $0.providerName]
            })
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a letter in full.")
        @Argument(help: ArgumentHelp("The letter's id.", valueName: "letter"), transform: parseID) var letter: Int64
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let id = letter
            let shown = try await withService(options) { try await $0.letter(id) }
            if options.json { return try Output.json(shown) }
            ReferralCommand.show(shown)
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "edit", abstract: "Replace a draft letter's text.")
        @Argument(help: ArgumentHelp("The letter's id.", valueName: "letter"), transform: parseID) var letter: Int64
        @Option(help: "The new text.") var text: String?
        @Option(name: .customLong("from-file"), help: ArgumentHelp("Read the new text from a file.", valueName: "path")) var fromFile: String?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            guard (text == nil) != (fromFile == nil) else { throw ValidationError("give the new text with --text or --from-file") }
            let (id, body) = (letter, try text ?? readTextFile(fromFile!, field: "--from-file"))
            let edited = try await withService(options) { try await $0.editLetter(id, text: body) }
            if options.json { return try Output.json(edited) }
            Output.line("updated letter \(edited.id)")
        }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "send", abstract: "Mark a draft letter sent (today).")
        @Argument(help: ArgumentHelp("The letter's id.", valueName: "letter"), transform: parseID) var letter: Int64
        @OptionGroup var options: PracticeOptions
        func run() async throws { try await ReferralCommand.advance(letter, to: .sent, options: options) }
    }

    struct Acknowledge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "acknowledge", abstract: "Mark a sent letter acknowledged by its recipient.")
        @Argument(help: ArgumentHelp("The letter's id.", valueName: "letter"), transform: parseID) var letter: Int64
        @OptionGroup var options: PracticeOptions
        func run() async throws { try await ReferralCommand.advance(letter, to: .acknowledged, options: options) }
    }

    static func advance(_ id: Int64, to status: LetterStatus, options: PracticeOptions) async throws {
        let letter = try await withService(options) { service in
            try await status == .sent ? service.sendLetter(id) : service.acknowledgeLetter(id)
        }
        if options.json { return try Output.json(letter) }
        Output.line("letter \(letter.id) is now \(letter.status.rawValue)")
    }
}
