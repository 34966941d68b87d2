import Foundation
import Logging
import PracticeCore
import PracticeStore

/// `practice backup` and `practice restore`: encrypted dumps of the whole database.
extension PracticeService {
    /// Dumps the database (every practice) as the backup role into `folder`, encrypted to
    /// `recipient`, keeping `keepDaily` daily and `keepWeekly` weekly archives.
    public static func backup(target: DatabaseTarget, to folder: String, recipient: String, keepDaily: Int, keepWeekly: Int,
                              logger: Logger) async throws -> Backups.Written {
        try Backups.checkRecipient(recipient, field: "--recipient")
        if case .embedded(let cluster) = target {
            guard try cluster.status().state != .notInitialised else {
                throw PracticeError.refused("there is no database to back up yet in \(cluster.dataFolder)")
            }
            try cluster.start()
        }
        let written = try Backups.write(source: try target.backupURL(), to: folder, recipient: recipient,
                                        keepDaily: keepDaily, keepWeekly: keepWeekly)
        // Sizes and counts only: the archive's name is a timestamp, its contents never logged.
        logger.info("backup written", metadata: ["bytes": "\(written.bytes)", "kept": "\(written.kept.count)",
                                                 "pruned": "\(written.pruned.count)"])
        return written
    }

    /// Restores `archive` into a new, empty database: `to` names one on the same server (as the
    /// schema's owner), or is a postgres:// URL; by default the configured database, which must
    /// then be empty (a new machine after a disaster).
    public static func restore(target: DatabaseTarget, archive: String, identity: String, to: String?,
                               logger: Logger) async throws -> Backups.Restored {
        var destination = target.ownerURL
        if let to {
            if to.hasPrefix("postgres://") || to.hasPrefix("postgresql://") {
                destination = try DatabaseURL(parsing: to, field: "--to")
            } else {
                guard !to.isEmpty, to.utf8.count <= 63, to.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw PracticeError.invalid(field: "--to", reason: "a database name is 1–63 letters, digits or underscores")
                }
                destination = destination.with(database: to)
            }
        }
        if case .embedded(let cluster) = target { try cluster.start() }
        let restored = try await Backups.restore(archive: archive, identity: identity, into: destination, logger: logger)
        logger.info("backup restored", metadata: ["tables": "\(restored.tables)"])
        return restored
    }
}
