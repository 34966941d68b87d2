import ArgumentParser
import PracticeCore
import PracticeService
import PracticeStore

struct DBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the embedded PostgreSQL cluster (used when DATABASE_URL is unset).",
        discussion: """
            The cluster lives under PRACTICE_DATA_DIR (default /var/lib/massagepractice as root, \
            ~/.local/share/massagepractice otherwise) and listens only on a unix socket in that folder. \
            As root it runs as the `postgres` system user, since PostgreSQL refuses to run as root.
            """,
        subcommands: [Start.self, Stop.self, Status.self, URLCommand.self]
    )

    static func cluster() throws -> EmbeddedPostgres {
        guard case .embedded(let cluster) = try DatabaseTarget.fromEnvironment() else {
            throw PracticeError.refused("DATABASE_URL is set, so the embedded database is not in use; unset it to manage the embedded one")
        }
        return cluster
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "start", abstract: "Create (first time), start and migrate the embedded database.")
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let cluster = try DBCommand.cluster()
            let started = try cluster.start()
            try await PracticeService.ensureDatabaseExists(cluster, logger: logger)
            // Opening it applies migrations.
            try await PracticeService.withDatabase(target: .embedded(cluster), logger: logger) { _ in }
            let status = try cluster.status()
            if output.json { return try Output.json(status) }
            Output.line(started ? "started PostgreSQL (pid \(status.pid.map(String.init) ?? "?"))" : "already running (pid \(status.pid.map(String.init) ?? "?"))")
            Output.line("data folder: \(cluster.dataFolder)")
            Output.line("url:         \(status.url)")
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop the embedded database.")
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let cluster = try DBCommand.cluster()
            let wasRunning = try cluster.status().state == .running
            try cluster.stop()
            if output.json { return try Output.json(try cluster.status()) }
            Output.line(wasRunning ? "stopped" : "not running")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show whether the embedded database exists and runs.",
            discussion: "Exit status: 0 running, 3 stopped or not created yet (like pg_ctl status).")
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let cluster = try DBCommand.cluster()
            let status = try cluster.status()
            if output.json {
                try Output.json(status)
            } else {
                Output.fields([("state", status.state.rawValue), ("data folder", status.dataFolder),
                               ("pid", status.pid.map(String.init) ?? "-"), ("url", status.url)])
            }
            if status.state != .running { throw ExitCode(3) }
        }
    }

    struct URLCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "url",
            abstract: "Print the embedded database's postgres:// URL, e.g. for psql or DATABASE_URL.",
            discussion: """
                The URL logs in as the app role (practice_user); --owner prints the owner role's, which \
                migrations use; --backup the backup role's (practice_backup: reads every row, streams WAL), \
                which `practice backup`, deploy/pitr/base-backup.sh and deploy/replica.sh use.
                """)

        @Flag(help: "Print the owner role's URL (practice_owner) instead of the app role's.")
        var owner = false
        @Flag(help: "Print the backup role's URL (practice_backup) instead of the app role's.")
        var backup = false

        func validate() throws {
            guard !(owner && backup) else { throw ValidationError("--owner and --backup: choose one") }
        }

        func run() async throws {
            let cluster = try DBCommand.cluster()
            Output.line((owner ? cluster.ownerURL : backup ? cluster.backupURL : cluster.url).description)
        }
    }
}

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending schema migrations (each in its own transaction, under an advisory lock).")

    @Flag(name: .long, help: "List the pending migrations without applying them.")
    var dryRun = false
    @Option(help: ArgumentHelp("Stop after this migration (e.g. 3 for 0003_…): a staged upgrade.", valueName: "version"))
    var to: Int?
    @OptionGroup var output: OutputOptions

    struct Report: Encodable {
        var dryRun: Bool
        var pending: [String]
        var applied: [String]
    }

    func run() async throws {
        let (pending, applied) = try await PracticeService.migrate(target: try DatabaseTarget.fromEnvironment(), dryRun: dryRun, upTo: to, connection: connectionPolicy,
                                                                   logger: logger)
        let report = Report(dryRun: dryRun, pending: pending, applied: applied)
        if output.json { return try Output.json(report) }
        if dryRun {
            Output.line(report.pending.isEmpty ? "up to date: nothing pending" : "pending:")
            report.pending.forEach { Output.line("  \($0)") }
        } else {
            Output.line(report.applied.isEmpty ? "up to date: nothing to apply" : "applied:")
            report.applied.forEach { Output.line("  \($0)") }
        }
    }
}
