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
        subcommands: [
            DBCommand.self, MigrateCommand.self, SetupCommand.self, DemoCommand.self, StaffCommand.self,
            ProviderCommand.self, ClientCommand.self, ScreeningCommand.self, AppointmentCommand.self, ScheduleCommand.self,
            CheckCommand.self, FeedbackCommand.self, NoteCommand.self, ReferralCommand.self, ReportCommand.self, PainCommand.self, AuditCommand.self,
        ]
    )
}

@main
enum Main {
    static func main() async {
        do {
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

extension PracticeError {
    var exitCode: Int32 {
        switch self {
        case .unavailable: 69
        default: 1
        }
    }
}
