import ArgumentParser
import Foundation
import PracticeCore
import PracticeService
import PracticeStore

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write an encrypted backup of the whole database (pg_dump, encrypted with age).",
        discussion: """
            pg_dump's custom-format archive is piped straight into age, so no unencrypted copy ever reaches \
            the disk. The archive is written as massagepractice-<UTC time>.dump.age in --out (created 0700), \
            then SHA256SUMS there is rewritten (check it with `sha256sum -c SHA256SUMS`), and older archives \
            are pruned: the newest of each of the last --keep-daily days and of each of the last \
            --keep-weekly ISO weeks are kept (defaults \(Backups.defaultDaily) and \(Backups.defaultWeekly)).

            It reads as a role that row-level security hides nothing from: the embedded cluster's \
            practice_backup, or PRACTICE_BACKUP_URL with DATABASE_URL. Keep the age identity (private key) \
            off this machine: restoring needs it (`practice restore FILE --identity KEY`).
            """)

    @Option(help: ArgumentHelp("The folder the archives go to.", valueName: "dir"))
    var out: String
    @Option(help: ArgumentHelp("The age public key (age1…) to encrypt to; or set PRACTICE_BACKUP_RECIPIENT.", valueName: "key"))
    var recipient: String?
    @Option(name: .customLong("keep-daily"), help: "Days whose newest archive is kept.")
    var keepDaily = Backups.defaultDaily
    @Option(name: .customLong("keep-weekly"), help: "ISO weeks whose newest archive is kept.")
    var keepWeekly = Backups.defaultWeekly
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment["PRACTICE_BACKUP_RECIPIENT"].flatMap { $0.isEmpty ? nil : $0 }
        guard let key = recipient ?? environment else {
            throw PracticeError.invalid(field: "--recipient",
                                        reason: "required (or PRACTICE_BACKUP_RECIPIENT): a backup is never written unencrypted")
        }
        let folder = URL(fileURLWithPath: out).standardizedFileURL.path
        let written = try await PracticeService.backup(target: try DatabaseTarget.fromEnvironment(), to: folder, recipient: key,
                                                       keepDaily: keepDaily, keepWeekly: keepWeekly, logger: logger)
        if output.json { return try Output.json(written) }
        Output.line("wrote \(written.archive) (\(written.bytes) bytes, sha256 \(written.sha256))")
        Output.line("manifest: \(written.manifest); kept \(written.kept.count), pruned \(written.pruned.count)")
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a `practice backup` archive into a new, empty database.",
        discussion: """
            The archive is checked first: against SHA256SUMS beside it when that lists it, then decrypted \
            end to end, so a corrupted or truncated archive is refused before anything is written. It is \
            then restored in one transaction (pg_restore --single-transaction) as the schema's owner: all of \
            it or none of it. A database that already holds tables is refused.

            --to names the database: a new name on the same server (e.g. massagepractice_restored), or a \
            postgres:// URL of the owner role on another server. Without it, the configured database, which \
            must not exist yet or be empty: a new machine after a disaster.
            """)

    @Argument(help: ArgumentHelp("The archive (massagepractice-….dump.age).", valueName: "file"))
    var file: String
    @Option(help: ArgumentHelp("The age identity (private key) file the archive was encrypted to.", valueName: "key-file"))
    var identity: String
    @Option(help: ArgumentHelp("The database to restore into: a name on the same server, or a postgres:// URL.", valueName: "name-or-url"))
    var to: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let restored = try await PracticeService.restore(target: try DatabaseTarget.fromEnvironment(), archive: file,
                                                         identity: identity, to: to, logger: logger)
        if output.json { return try Output.json(restored) }
        Output.line("restored \(restored.archive) into \(restored.database) (\(restored.tables) tables)")
    }
}
