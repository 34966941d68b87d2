import Crypto
import Foundation
import Logging
import PostgresNIO
import PracticeCore

/// Encrypted backups: a `pg_dump` custom-format archive piped straight into `age`, so no
/// unencrypted byte reaches the disk; a `SHA256SUMS` manifest beside the archives; and a
/// retention rule that keeps the newest archive of each of the last N days and M ISO weeks.
public enum Backups {
    public static let prefix = "massagepractice-"
    public static let suffix = ".dump.age"
    public static let manifestName = "SHA256SUMS"
    public static let defaultDaily = 7
    public static let defaultWeekly = 4

    public struct Written: Sendable, Codable {
        public var archive: String
        public var bytes: Int
        public var sha256: String
        public var manifest: String
        public var kept: [String]
        public var pruned: [String]
    }

    public struct Restored: Sendable, Codable {
        public var archive: String
        public var database: String
        public var tables: Int
        public var createdDatabase: Bool
    }

    // MARK: Backup

    /// `age` accepts X25519 recipients (`age1…`) and SSH public keys.
    public static func checkRecipient(_ recipient: String, field: String) throws(PracticeError) {
        let text = recipient.trimmingCharacters(in: .whitespaces)
        let isAge = text.hasPrefix("age1") && text.count > 50 && text.allSatisfy { $0.isLetter || $0.isNumber }
        let isSSH = text.hasPrefix("ssh-ed25519 ") || text.hasPrefix("ssh-rsa ")
        guard isAge || isSSH else {
            throw .invalid(field: field, reason: "expected an age public key (age1…, from `age-keygen -y KEYFILE`) or an SSH public key")
        }
    }

    /// Dumps `source` into `folder`, encrypted to `recipient`, then prunes and rewrites the manifest.
    public static func write(source: DatabaseURL, to folder: String, recipient: String, keepDaily: Int, keepWeekly: Int,
                             now: Date = Date()) throws -> Written {
        try checkRecipient(recipient, field: "--recipient")
        guard keepDaily >= 1 else { throw PracticeError.invalid(field: "--keep-daily", reason: "must be at least 1") }
        guard keepWeekly >= 0 else { throw PracticeError.invalid(field: "--keep-weekly", reason: "must be 0 or more") }
        try prepare(folder)
        let name = prefix + stamp(now) + suffix
        let final = folder + "/" + name
        let partial = folder + "/." + name + ".partial"
        guard !FileManager.default.fileExists(atPath: final) else {
            throw PracticeError.refused("\(final) already exists")
        }
        let pgDump = try EmbeddedPostgres.binary("pg_dump", version: 0)
        let age = try ageBinary()
        // The dump never touches the disk: pg_dump's output is age's input.
        let result = try Shell.run("/bin/bash", [
            "-c", #"set -o pipefail; umask 077; "$1" --format=custom --no-password --dbname="$2" | "$3" --encrypt --recipient "$4" --output "$5""#,
            "practice-backup", pgDump, source.libpqConnectionString, age, recipient, partial,
        ], environment: source.libpqEnvironment)
        guard result.status == 0 else {
            unlink(partial)
            throw PracticeError.unavailable("backup failed, nothing was kept: \(result.lastLine)")
        }
        try syncFile(partial)
        guard rename(partial, final) == 0 else {
            unlink(partial)
            throw PracticeError.database("cannot move the backup into \(final) (errno \(errno))")
        }
        try EmbeddedPostgres.fsyncDirectory(folder)

        let archives = try existingArchives(in: folder)
        let keep = retained(archives, keepDaily: keepDaily, keepWeekly: keepWeekly)
        let pruned = archives.filter { !keep.contains($0) }
        for old in pruned { unlink(folder + "/" + old) }
        let kept = archives.filter { keep.contains($0) }
        let known = (try? readManifest(folder)) ?? [:]
        var sums: [(String, String)] = []
        for archive in kept {
            sums.append((archive, try known[archive] ?? sha256(of: folder + "/" + archive)))
        }
        let manifest = folder + "/" + manifestName
        // Recomputed for the new archive, and checked against the file on disk.
        let digest = try sha256(of: final)
        try writeAtomically(manifest, sums.map { "\($0.1)  \($0.0)\n" }.joined())
        let size = (try FileManager.default.attributesOfItem(atPath: final)[.size] as? NSNumber)?.intValue ?? 0
        return Written(archive: final, bytes: size, sha256: digest, manifest: manifest, kept: kept, pruned: pruned)
    }

    /// The archives to keep, of `names` (ours, any order): the newest of each of the newest
    /// `keepDaily` UTC days, and the newest of each of the newest `keepWeekly` ISO weeks.
    public static func retained(_ names: [String], keepDaily: Int, keepWeekly: Int) -> Set<String> {
        let dated = names.compactMap { name in date(of: name).map { (name, $0) } }.sorted { $0.0 > $1.0 }
        var keep = Set<String>()
        var days: [String] = []
        var weeks: [String] = []
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        for (name, date) in dated {
            let parts = calendar.dateComponents([.year, .month, .day, .yearForWeekOfYear, .weekOfYear], from: date)
            let day = "\(parts.year ?? 0)-\(parts.month ?? 0)-\(parts.day ?? 0)"
            let week = "\(parts.yearForWeekOfYear ?? 0)-W\(parts.weekOfYear ?? 0)"
            if !days.contains(day), days.count < keepDaily {
                days.append(day)
                keep.insert(name)
            }
            if !weeks.contains(week), weeks.count < keepWeekly {
                weeks.append(week)
                keep.insert(name)
            }
        }
        return keep
    }

    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        return formatter.string(from: date)
    }

    static func date(of name: String) -> Date? {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        let text = name.dropFirst(prefix.count).dropLast(suffix.count)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        return formatter.date(from: String(text))
    }

    static func existingArchives(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { date(of: $0) != nil }.sorted()
    }

    /// The backup folder: created 0700 if missing; never a symlink, never open to group or others.
    static func prepare(_ folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var info = stat()
        guard lstat(folder, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw PracticeError.invalid(field: "--out", reason: "\(folder) is not a folder (a symbolic link is not accepted)")
        }
        guard info.st_mode & 0o022 == 0 else {
            throw PracticeError.invalid(field: "--out", reason: "\(folder) is writable by group or others; run chmod 700 on it")
        }
    }

    static func ageBinary() throws -> String {
        guard let age = EmbeddedPostgres.searchPath("age") else {
            throw PracticeError.unavailable("age is not installed; install it with `apt-get install -y age`")
        }
        return age
    }

    // MARK: Files

    public static func sha256(of path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw PracticeError.invalid(field: "archive", reason: "\(path) cannot be read")
        }
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(data: chunk) }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The manifest's `sha256  name` lines (the format `sha256sum -c` reads).
    static func readManifest(_ folder: String) throws -> [String: String] {
        let text = try String(contentsOfFile: folder + "/" + manifestName, encoding: .utf8)
        var sums: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            sums[parts[1].trimmingCharacters(in: CharacterSet(charactersIn: " *"))] = String(parts[0])
        }
        return sums
    }

    static func writeAtomically(_ path: String, _ text: String) throws {
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw PracticeError.database("cannot write \(temporary)")
        }
        try syncFile(temporary)
        guard rename(temporary, path) == 0 else { throw PracticeError.database("cannot replace \(path) (errno \(errno))") }
    }

    static func syncFile(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw PracticeError.database("cannot open \(path) (errno \(errno))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw PracticeError.database("cannot sync \(path) (errno \(errno))") }
    }

    // MARK: Restore

    /// Checks `archive` against its folder's manifest (when it lists it) and decrypts it once
    /// end to end, so a corrupted or truncated archive is refused before anything is written.
    public static func verify(archive: String, identity: String) throws {
        guard FileManager.default.isReadableFile(atPath: archive) else {
            throw PracticeError.invalid(field: "FILE", reason: "\(archive) cannot be read")
        }
        guard FileManager.default.isReadableFile(atPath: identity) else {
            throw PracticeError.invalid(field: "--identity", reason: "\(identity) cannot be read")
        }
        let url = URL(fileURLWithPath: archive)
        let folder = url.deletingLastPathComponent().path
        if let expected = (try? readManifest(folder))?[url.lastPathComponent] {
            let actual = try sha256(of: archive)
            guard actual == expected else {
                throw PracticeError.refused("\(archive) is corrupted or truncated: its SHA-256 is not the one in "
                                            + "\(folder)/\(manifestName); nothing was restored")
            }
        }
        let result = try Shell.run("/bin/bash", [
            "-c", #""$1" --decrypt --identity "$2" "$3" > /dev/null"#, "practice-restore", try ageBinary(), identity, archive,
        ])
        guard result.status == 0 else {
            let reason = result.lastLine.replacingOccurrences(of: "age: error: ", with: "")
            throw PracticeError.refused("\(archive) cannot be decrypted (\(reason)): the archive is corrupted or truncated, "
                                        + "or --identity is not its key; nothing was restored")
        }
    }

    /// Restores `archive` into `target`'s database, which must be new or empty; creates it when
    /// missing (and drops it again if the restore fails). One transaction: all or nothing.
    public static func restore(archive: String, identity: String, into target: DatabaseURL, logger: Logger) async throws -> Restored {
        try verify(archive: archive, identity: identity)
        let name = target.database
        let exists = try await PracticeDatabase.withDatabase(url: target.with(database: "postgres"), logger: logger) { server in
            try await server.read { connection in
                let rows = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger)
                for try await _ in rows.decode(Int.self) { return true }
                return false
            }
        }
        if exists {
            let tables = try await relationCount(target, logger: logger)
            guard tables == 0 else {
                throw PracticeError.refused("the database \(name) is not empty (\(tables) tables); restore into a new one, "
                                            + "e.g. --to \(name)_restored; nothing was restored")
            }
        } else {
            try await PracticeDatabase.withDatabase(url: target.with(database: "postgres"), logger: logger) { server in
                try await server.read { try await $0.query("CREATE DATABASE \(unescaped: quotedIdentifier(name))", logger: logger) }
            }
        }
        let result = try Shell.run("/bin/bash", [
            "-c", #"set -o pipefail; "$1" --decrypt --identity "$2" "$3" | "$4" --no-owner --exit-on-error --single-transaction --dbname="$5""#,
            "practice-restore", try ageBinary(), identity, archive, try EmbeddedPostgres.binary("pg_restore", version: 0),
            target.libpqConnectionString,
        ], environment: target.libpqEnvironment)
        guard result.status == 0 else {
            if !exists {
                _ = try? await PracticeDatabase.withDatabase(url: target.with(database: "postgres"), logger: logger) { server in
                    try await server.read { try await $0.query("DROP DATABASE IF EXISTS \(unescaped: quotedIdentifier(name))", logger: logger) }
                }
            }
            throw PracticeError.database("restore failed and was rolled back, nothing was restored: \(result.lastLine)")
        }
        return Restored(archive: archive, database: name, tables: try await relationCount(target, logger: logger), createdDatabase: !exists)
    }

    /// Tables in the database outside PostgreSQL's own schemas.
    static func relationCount(_ url: DatabaseURL, logger: Logger) async throws -> Int {
        try await PracticeDatabase.withDatabase(url: url, logger: logger) { database in
            try await database.read { connection in
                let rows = try await connection.query("""
                    SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                      AND n.nspname NOT LIKE 'pg_toast%'
                    """, logger: logger)
                for try await count in rows.decode(Int.self) { return count }
                return 0
            }
        }
    }

    static func quotedIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
