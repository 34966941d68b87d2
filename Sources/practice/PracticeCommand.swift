import ArgumentParser
import Foundation
import PracticeCore

/// `practice`: the one executable. Nouns then verbs; `--help` on every level.
struct PracticeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "practice",
        abstract: "Practice management for massage therapists who treat low-back pain.",
        discussion: """
            Uses DATABASE_URL (postgres://user:password@host:port/database) when it is set. Otherwise it \
            runs its own PostgreSQL cluster under PRACTICE_DATA_DIR (default /var/lib/massagepractice as \
            root, ~/.local/share/massagepractice otherwise), creating and starting it on first use.

            Exit status: 0 success; 1 refused or invalid input (one line on stderr says which field \
            and why; nothing is written); 64 bad usage; 69 database unavailable.
            """,
        version: PracticeVersion.text,
        subcommands: [
            DBCommand.self, MigrateCommand.self, SetupCommand.self, DemoCommand.self, StaffCommand.self,
            ProviderCommand.self, ClientCommand.self, ScreeningCommand.self, AppointmentCommand.self, ScheduleCommand.self,
            CheckCommand.self, FeedbackCommand.self, NoteCommand.self, ReferralCommand.self, ReportCommand.self, PainCommand.self, AuditCommand.self,
            ServeCommand.self, BackupCommand.self, RestoreCommand.self,
        ]
    )
}

/// What `practice --version` prints: the release and the commit it was built from.
enum PracticeVersion {
    static let number = "0.12.0"
    static var text: String { "practice \(number) (commit \(BuildInfo.commit))" }
}

@main
enum Main {
    static func main() async {
        do {
            try checkArguments()
            var command = try PracticeCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as PracticeError {
            Output.write("practice: error: \(error.description)\n", to: STDERR_FILENO)
            exit(error.exitCode)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            let code = PracticeCommand.exitCode(for: error)
            if code == .success || error is CleanExit {
                PracticeCommand.exit(withError: error)
            }
            // One line, not the usage screen: the message names the option and the reason.
            let message = PracticeCommand.message(for: error)
                .split(separator: "\n").first.map(String.init) ?? "\(error)"
            Output.write("practice: error: \(message)\n", to: STDERR_FILENO)
            exit(code.rawValue)
        }
    }
}

/// Every argument is checked before parsing: Swift would repair invalid UTF-8 into U+FFFD, and a
/// control character in a name would reach the database and the screen. The message names the
/// option the value belongs to.
func checkArguments() throws(PracticeError) {
    var field = "argument"
    for index in 1..<Int(CommandLine.argc) {
        guard let pointer = CommandLine.unsafeArgv[index] else { continue }
        let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                              count: strlen(pointer)))
        let text = try TextInput.decode(bytes, field: field)
        if text.hasPrefix("--") {
            let parts = text.split(separator: "=", maxSplits: 1)
            field = String(parts[0])
            if parts.count == 2 { try TextInput.check(String(parts[1]), field: field) }
        } else {
            try TextInput.check(text, field: field == "argument" ? "argument \(index)" : field)
            field = "argument"
        }
    }
}

extension PracticeError {
    var exitCode: Int32 {
        switch self {
        case .unavailable: 69
        default: 1
        }
    }
}
