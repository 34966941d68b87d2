import Foundation
import PracticeStore
import PracticeTestSupport
import Testing

/// deploy/pitr: WAL archiving, a base backup, and a recovered copy of the database as it was
/// at a noted moment, just before someone deleted a client's letters by mistake.
@Suite("Point-in-time recovery", .timeLimit(.minutes(5)))
struct PointInTimeRecoveryTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs one of the deploy/pitr scripts. The store's posix_spawn runner rather than `Process`:
    /// the scripts start servers that outlive them.
    func script(_ name: String, _ arguments: [String]) throws -> Shell.Result {
        let path = Self.repository.appendingPathComponent("deploy/pitr/\(name)").path
        return try Shell.run("/bin/bash", [path] + arguments)
    }

    /// One SQL command through psql; its unaligned, tuples-only output.
    func psql(_ url: String, _ sql: String) throws -> String {
        let result = try Shell.run("/usr/bin/psql", ["-X", "-w", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        guard result.status == 0 else { throw TestSetupError("psql failed (\(result.status)) on \(sql): \(result.output)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func count(_ url: String, lettersOf client: Int) throws -> Int {
        let text = try psql(url, "SELECT count(*) FROM referral_letters WHERE client_id = \(client)")
        guard let count = Int(text) else { throw TestSetupError("not a count: \(text)") }
        return count
    }

    @Test func lettersDeletedByMistakeComeBackInACopyRecoveredToTheNotedTime() async throws {
        guard let scratch = ProcessInfo.processInfo.environment["PRACTICE_TEST_SCRATCH"] else {
            throw TestSetupError("PRACTICE_TEST_SCRATCH is not set: run the tests with scripts/test.sh")
        }
        // Short paths: the copy's socket is <root>/copy/run/.s.PGSQL.5432, at most 107 bytes.
        let root = "\(scratch)/pitr-\(UUID().uuidString.prefix(6))"
        let data = root + "/db", archive = root + "/archive", backups = root + "/backups", copy = root + "/copy"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        let cli = CLI(environment: ["PRACTICE_DATA_DIR": data])
        let copyCLI = CLI(environment: ["PRACTICE_DATA_DIR": copy])
        defer {
            // Pass or fail: both servers stopped, and the archive's gigabytes of WAL gone.
            _ = try? copyCLI.run("db", "stop")
            _ = try? cli.run("db", "stop")
            try? FileManager.default.removeItem(atPath: root)
        }

        // A practice with WAL archiving on. A one-second archive_timeout, so that the segment
        // holding the mistake reaches the archive within the test (a deployment uses 60 s).
        let started = try cli.run("db", "start")
        try #require(started.status == 0, "\(started.stderr)")
        let enabled = try script("enable-archiving.sh", ["--archive", archive, "--embedded", data, "--archive-timeout", "1",
                                                        "--restart", "--practice", CLI.binary])
        try #require(enabled.status == 0, "\(enabled.output)")
        let demo = try cli.run("demo")
        try #require(demo.status == 0, "\(demo.stderr)")
        let backupURL = try cli.run("db", "url", "--backup").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let ownerURL = try cli.run("db", "url", "--owner").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try psql(backupURL, "SELECT current_setting('archive_mode') || ' ' || current_setting('wal_level')") == "on replica")

        // The base backup: verified, in a folder of its own.
        let backedUp = try script("base-backup.sh", [backupURL, backups])
        try #require(backedUp.status == 0, "\(backedUp.output)")
        let base = backedUp.lastLine
        #expect(base.hasPrefix(backups + "/base-") && FileManager.default.fileExists(atPath: base + "/backup_manifest"),
                "\(backedUp.output)")
        #expect(backedUp.output.contains("verified with pg_verifybackup"))

        // After the backup: a new letter for a demo client (one whose letters no clearance cites).
        let client = try #require(Int(try psql(backupURL, """
            SELECT min(c.id) FROM clients AS c WHERE NOT EXISTS (
                SELECT 1 FROM clearances AS k JOIN referral_letters AS l ON l.practice_id = k.practice_id AND l.id = k.letter_id
                WHERE l.client_id = c.id)
            """)))
        let practice = try psql(backupURL, "SELECT practice_id FROM clients WHERE id = \(client)")
        let providers = try #require(try JSONSerialization.jsonObject(with: Data(try cli.run("provider", "list", "--json").stdout.utf8))
            as? [[String: Any]])
        let provider = try #require((providers.first { $0["kind"] as? String == "physical_therapist" } ?? providers.first)?["id"] as? Int)
        let filed = try cli.run("referral", "add", "\(client)", "--direction", "outgoing", "--kind", "coordination",
                                "--provider", "\(provider)", "--text", "Written after the base backup.", "--json")
        try #require(filed.status == 0, "\(filed.stderr)")
        let letters = try count(backupURL, lettersOf: client)
        #expect(letters >= 1)

        // The moment to recover to, by the server's clock; then the mistake, a second later.
        let noted = try psql(backupURL, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
        try await Task.sleep(for: .milliseconds(1100))
        // The owner owns the table, so it may switch off the trigger that refuses deletes; row-level
        // security binds it (FORCE), so it names the practice; the audit trigger wants an actor.
        _ = try psql(ownerURL, """
            BEGIN;
            SELECT set_config('practice.practice_id', '\(practice)', true), set_config('practice.actor', 'owner:psql', true);
            ALTER TABLE referral_letters DISABLE TRIGGER referral_letters_guard;
            DELETE FROM referral_letters WHERE client_id = \(client);
            ALTER TABLE referral_letters ENABLE TRIGGER referral_letters_guard;
            COMMIT;
            """)
        #expect(try count(backupURL, lettersOf: client) == 0)

        // Recovery needs the WAL past the mistake in the archive: wait until the segment that
        // holds the delete's commit has been archived (archive_timeout switches it out).
        let segment = try psql(backupURL, "SELECT pg_walfile_name(pg_current_wal_lsn())")
        let deadline = ContinuousClock.now + .seconds(30)
        while try psql(backupURL, "SELECT coalesce(last_archived_wal, '') >= '\(segment)' FROM pg_stat_archiver") != "t" {
            guard ContinuousClock.now < deadline else {
                Issue.record("segment \(segment) was not archived within 30 s")
                return
            }
            try await Task.sleep(for: .milliseconds(250))
        }

        // A copy as it was at the noted time, started next to the original.
        let recovered = try script("recover.sh", ["--base", base, "--archive", archive, "--target-time", noted,
                                                  "--into", copy + "/pgdata", "--start"])
        try #require(recovered.status == 0, "\(recovered.output)")
        let copyURL = "postgres://practice_backup@/massagepractice?host=\(copy)/run"
        #expect(try psql(copyURL, "SELECT pg_is_in_recovery()") == "f")
        #expect(try count(copyURL, lettersOf: client) == letters, "the letters are back in the copy")
        #expect(try count(backupURL, lettersOf: client) == 0, "the original still shows the mistake")

        // The copy has the embedded layout: `practice` itself works on it.
        let listed = try copyCLI.run("referral", "list", "--client", "\(client)", "--json")
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect((try listed.json() as? [Any])?.count == letters)
    }
}
