import Foundation
import Logging
import PracticeCore
import PracticeService

/// Logs go to stderr at `warning` unless PRACTICE_LOG_LEVEL says otherwise. They carry ids and
/// SQLSTATEs, never names, notes or scores.
let logger: Logger = {
    var logger = Logger(label: "practice") { StreamLogHandler.standardError(label: $0) }
    let level = ProcessInfo.processInfo.environment["PRACTICE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
    logger.logLevel = level ?? .warning
    return logger
}()

/// The service for one command, on the practice the options name.
func withService<Result: Sendable>(
    _ options: PracticeOptions, migrations: MigrationPolicy? = nil,
    _ body: @Sendable (PracticeService) async throws -> Result
) async throws -> Result {
    let context = ServiceContext(practiceID: try options.practiceID)
    return try await PracticeService.withService(target: try DatabaseTarget.fromEnvironment(), context: context,
                                                 migrations: migrations, connection: connectionPolicy,
                                                 replica: try DatabaseTarget.readURL(), logger: logger, body)
}

/// The service outside any practice (`setup`, `demo`).
func withService<Result: Sendable>(
    migrations: MigrationPolicy? = nil, _ body: @Sendable (PracticeService) async throws -> Result
) async throws -> Result {
    try await PracticeService.withService(target: try DatabaseTarget.fromEnvironment(), context: ServiceContext(),
                                          migrations: migrations, connection: connectionPolicy, logger: logger, body)
}

/// A superuser connection is refused unless PRACTICE_ALLOW_SUPERUSER=1, which warns on every command.
///
/// A connection that does not arrive within 5 s ends the command with exit status 69: the server
/// cannot be reached, or went away mid-command. PostgreSQL rolls back the open transaction, so
/// nothing is half-written.
let connectionPolicy = ConnectionPolicy.fromEnvironment(warn: { Output.warn($0) }, stalled: { waited in
    Output.write("practice: error: lost PostgreSQL: the server is stopped, unreachable, or dropped the connection; "
                 + "nothing of this command was saved. Try `practice db status`\n", to: STDERR_FILENO)
    exit(69)
})

extension Output {
    static func warn(_ warning: PracticeCore.Warning) { warn(warning.description) }
}
