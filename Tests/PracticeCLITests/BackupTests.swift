import Foundation
import PostgresNIO
import PracticeStore
import PracticeTestSupport
import Testing

/// `practice backup` and `practice restore` on an embedded cluster of the test's own: a filled
/// database round-trips with identical rows, and a damaged archive is refused with nothing written.
@Suite("Encrypted backups", .timeLimit(.minutes(5)))
struct BackupTests {
    /// A cluster in the scratch folder, with an age key pair beside it.
    struct World {
        let folder: String
        let cli: CLI
        let cluster: EmbeddedPostgres
        let identity: String
        let recipient: String

        static func make(_ name: String) throws -> World {
            guard let scratch = ProcessInfo.processInfo.environment["PRACTICE_TEST_SCRATCH"] else {
                throw TestSetupError("PRACTICE_TEST_SCRATCH is not set: run the tests with scripts/test.sh")
            }
            let folder = "\(scratch)/\(name)-\(UUID().uuidString.prefix(6))"
            // The cluster's folder inside must be reachable by the postgres system user.
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
            let identity = folder + "/backup.key"
            _ = try toolOutput("age-keygen", ["-o", identity])
            let recipient = try toolOutput("age-keygen", ["-y", identity]).trimmingCharacters(in: .whitespacesAndNewlines)
            guard recipient.hasPrefix("age1") else { throw TestSetupError("age-keygen gave no public key") }
            return World(folder: folder, cli: CLI(environment: ["PRACTICE_DATA_DIR": folder + "/db"]),
                         cluster: EmbeddedPostgres(dataFolder: folder + "/db"), identity: identity, recipient: recipient)
        }

        func stop() { _ = try? cli.run("db", "stop") }
    }

    /// Every table's row count and an order-independent checksum of its rows, read as the backup
    /// role (row-level security hides nothing from it).
    static func fingerprint(_ url: DatabaseURL) async throws -> [String: String] {
        try await PracticeDatabase.withDatabase(url: url, logger: TestDatabase.logger) { database in
            try await database.client.withConnection { connection in
                var tables: [String] = []
                for try await name in try await connection.query("""
                    SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1
                    """, logger: TestDatabase.logger).decode(String.self) { tables.append(name) }
                var result: [String: String] = [:]
                for table in tables {
                    let rows = try await connection.query("""
                        SELECT count(*)::int, coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '-')
                        FROM public.\(unescaped: table) t
                        """, logger: TestDatabase.logger)
                    for try await (count, sum) in rows.decode((Int, String).self) { result[table] = "\(count) rows, \(sum)" }
                }
                return result
            }
        }
    }

    static func databaseExists(_ name: String, on cluster: EmbeddedPostgres) async throws -> Bool {
        try await PracticeDatabase.withDatabase(url: cluster.backupURL.with(database: "postgres"), logger: TestDatabase.logger) { database in
            try await database.client.withConnection { connection in
                for try await _ in try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)",
                                                              logger: TestDatabase.logger).decode(Int.self) { return true }
                return false
            }
        }
    }

    @Test func aFilledDatabaseRestoresElsewhereWithIdenticalRows() async throws {
        let world = try World.make("bk")
        defer { world.stop() }
        #expect(try world.cli.run("db", "start").status == 0)
        #expect(try world.cli.run("demo").status == 0)
        // Extra records through the service, beyond the demo's.
        let added = try world.cli.run("client", "add", "--name", "Backup Extra", "--dob", "1981-02-03", "--pain-onset", "2026-10-01", "--json")
        #expect(added.status == 0, "\(added.stderr)")
        let id = try #require(try added.object()["id"] as? Int)
        #expect(try world.cli.run("client", "pain", String(id), "--score", "6").status == 0)
        #expect(try world.cli.run("client", "discharge", String(id), "--reason", "moved away").status == 0)

        let out = world.folder + "/backups"
        let backup = try world.cli.run("backup", "--out", out, "--recipient", world.recipient, "--json")
        #expect(backup.status == 0, "\(backup.stderr)")
        let archive = try #require(try backup.object()["archive"] as? String)
        // Never unencrypted: an age file, with no trace of pg_dump's header.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        #expect(bytes.starts(with: Data("age-encryption.org/v1".utf8)))
        #expect(bytes.range(of: Data("PGDMP".utf8)) == nil)
        let mode = try FileManager.default.attributesOfItem(atPath: archive)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let check = try toolOutput("bash", ["-c", "cd '\(out)' && sha256sum -c SHA256SUMS"])
        #expect(check.contains(": OK"), "\(check)")

        let restored = try world.cli.run("restore", archive, "--identity", world.identity, "--to", "restored_copy", "--json")
        #expect(restored.status == 0, "\(restored.stderr)")
        let original = try await Self.fingerprint(world.cluster.backupURL)
        let copy = try await Self.fingerprint(world.cluster.backupURL.with(database: "restored_copy"))
        #expect(original.count >= 17)
        #expect((original["clients"] ?? "").hasPrefix("0 rows") == false)
        for (table, value) in original {
            #expect(copy[table] == value, "\(table): restored \(copy[table] ?? "missing"), original \(value)")
        }
        #expect(Set(copy.keys) == Set(original.keys))

        // The live database is not empty: refused, nothing touched.
        let onto = try world.cli.run("restore", archive, "--identity", world.identity)
        #expect(onto.status == 1)
        #expect(onto.stderr.contains("not empty") && onto.stderr.split(separator: "\n").count == 1, "\(onto.stderr)")
        #expect(try await Self.fingerprint(world.cluster.backupURL) == original)
    }

    @Test func aCorruptedOrTruncatedArchiveIsRefusedAndNothingIsWritten() async throws {
        let world = try World.make("bc")
        defer { world.stop() }
        #expect(try world.cli.run("db", "start").status == 0)
        #expect(try world.cli.run("demo").status == 0)
        let out = world.folder + "/backups"
        let backup = try world.cli.run("backup", "--out", out, "--recipient", world.recipient, "--json")
        let archive = try #require(try backup.object()["archive"] as? String)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))

        // Outside its folder (no manifest to compare with): age's authentication catches both.
        let loose = world.folder + "/loose"
        try FileManager.default.createDirectory(atPath: loose, withIntermediateDirectories: true)
        let truncated = loose + "/truncated.dump.age"
        try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: truncated))
        var flipped = bytes
        flipped[flipped.count / 2] ^= 0x40
        let corrupted = loose + "/corrupted.dump.age"
        try flipped.write(to: URL(fileURLWithPath: corrupted))
        for (file, database) in [(truncated, "from_truncated"), (corrupted, "from_corrupted")] {
            let result = try world.cli.run("restore", file, "--identity", world.identity, "--to", database)
            #expect(result.status == 1, "\(file)")
            #expect(result.stderr.contains("corrupted or truncated") && result.stderr.contains("nothing was restored"), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(try await !Self.databaseExists(database, on: world.cluster))
        }

        // In its folder, the manifest names the damage before anything is decrypted.
        bytes[bytes.count - 10] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: archive))
        let listed = try world.cli.run("restore", archive, "--identity", world.identity, "--to", "from_listed")
        #expect(listed.status == 1)
        #expect(listed.stderr.contains("SHA256SUMS"), "\(listed.stderr)")
        #expect(try await !Self.databaseExists("from_listed", on: world.cluster))

        // The wrong key is refused the same way.
        let other = world.folder + "/other.key"
        _ = try toolOutput("age-keygen", ["-o", other])
        let fresh = try world.cli.run("backup", "--out", out, "--recipient", world.recipient, "--json")
        let good = try #require(try fresh.object()["archive"] as? String)
        let wrongKey = try world.cli.run("restore", good, "--identity", other, "--to", "from_wrong_key")
        #expect(wrongKey.status == 1 && wrongKey.stderr.contains("--identity"), "\(wrongKey.stderr)")
        #expect(try await !Self.databaseExists("from_wrong_key", on: world.cluster))
    }

    @Test func retentionPrunesAndTheManifestListsWhatIsKept() throws {
        let world = try World.make("br")
        defer { world.stop() }
        #expect(try world.cli.run("db", "start").status == 0)
        let out = world.folder + "/backups"
        // No key, no backup: never unencrypted, nothing written.
        let unkeyed = try world.cli.run("backup", "--out", out)
        #expect(unkeyed.status == 1 && unkeyed.stderr.contains("--recipient"), "\(unkeyed.stderr)")
        let notAKey = try world.cli.run("backup", "--out", out, "--recipient", "hunter2")
        #expect(notAKey.status == 1 && notAKey.stderr.contains("--recipient"))
        #expect(!FileManager.default.fileExists(atPath: out + "/SHA256SUMS"))

        for _ in 0..<3 {
            let run = try world.cli.run("backup", "--out", out, "--recipient", world.recipient, "--keep-daily", "1", "--keep-weekly", "0")
            #expect(run.status == 0, "\(run.stderr)")
        }
        let archives = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".dump.age") }
        #expect(archives.count == 1)
        let manifest = try String(contentsOfFile: out + "/SHA256SUMS", encoding: .utf8)
        #expect(manifest.split(separator: "\n").count == 1 && manifest.contains(archives.first ?? "?"))
    }

    @Test func retentionKeepsTheNewestOfEachDayAndWeek() {
        func name(_ stamp: String) -> String { "massagepractice-\(stamp).dump.age" }
        let names = [
            name("20261126T020000.000Z"), name("20261126T010000.000Z"), // Thursday, twice
            name("20261125T020000.000Z"), name("20261124T020000.000Z"), // Wednesday, Tuesday
            name("20261122T020000.000Z"), // Sunday of the week before (ISO week 47)
            name("20261115T020000.000Z"), name("20261114T020000.000Z"), // week 46
            name("20261101T020000.000Z"), // week 44
            "notes.txt",
        ]
        let keep = Backups.retained(names, keepDaily: 2, keepWeekly: 3)
        #expect(keep == [name("20261126T020000.000Z"), name("20261125T020000.000Z"),
                         name("20261122T020000.000Z"), name("20261115T020000.000Z")])
        #expect(Backups.retained(names, keepDaily: 1, keepWeekly: 0) == [name("20261126T020000.000Z")])
    }
}
