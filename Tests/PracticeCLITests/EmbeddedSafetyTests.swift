import Foundation
import PostgresNIO
import PracticeCore
import PracticeService
import PracticeStore
import PracticeTestSupport
import Testing

/// The embedded cluster's data folder is health records: it is never reached through a link,
/// never shared, and configured before its server first starts.
@Suite("A safe embedded cluster", .timeLimit(.minutes(5)))
struct EmbeddedSafetyTests {
    func scratch() throws -> String {
        guard let scratch = ProcessInfo.processInfo.environment["PRACTICE_TEST_SCRATCH"] else {
            throw TestSetupError("PRACTICE_TEST_SCRATCH is not set: run the tests with scripts/test.sh")
        }
        return scratch
    }

    func folder(_ name: String) throws -> String {
        "\(try scratch())/\(name)-\(UUID().uuidString.prefix(6))"
    }

    @Test func aSymlinkedDataFolderIsRefused() throws {
        let real = try folder("real")
        let link = try folder("link")
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let result = try CLI(environment: ["PRACTICE_DATA_DIR": link]).run("db", "start")
        #expect(result.status == 1)
        #expect(result.stderr.contains("symbolic link"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: real).isEmpty)
    }

    @Test func aSharedOrForeignDataFolderIsRefused() throws {
        let shared = try folder("shared")
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        chmod(shared, 0o775)
        let writable = try CLI(environment: ["PRACTICE_DATA_DIR": shared]).run("db", "start")
        #expect(writable.status == 1)
        #expect(writable.stderr.contains("written by group or others") && writable.stderr.contains("chmod 700"))

        guard geteuid() == 0, let nobody = getpwnam("nobody") else { return }
        let foreign = try folder("foreign")
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        chmod(foreign, 0o700)
        chown(foreign, nobody.pointee.pw_uid, nobody.pointee.pw_gid)
        let theirs = try CLI(environment: ["PRACTICE_DATA_DIR": foreign]).run("db", "start")
        #expect(theirs.status == 1)
        #expect(theirs.stderr.contains("belongs to another user"))
    }

    @Test func aSocketPathOverTheLimitIsRefused() throws {
        let long = try scratch() + "/" + String(repeating: "d", count: 110)
        let result = try CLI(environment: ["PRACTICE_DATA_DIR": long]).run("db", "start")
        #expect(result.status == 1)
        #expect(result.stderr.contains("107") && result.stderr.contains("PRACTICE_DATA_DIR"))
        #expect(!FileManager.default.fileExists(atPath: long))
    }

    @Test func aClusterOfAnotherMajorVersionNamesTheMissingPrograms() throws {
        let data = try folder("v99")
        try FileManager.default.createDirectory(atPath: data + "/pgdata", withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        chmod(data, 0o700)
        try "99\n".write(toFile: data + "/pgdata/PG_VERSION", atomically: true, encoding: .utf8)
        let result = try CLI(environment: ["PRACTICE_DATA_DIR": data]).run("db", "status")
        #expect(result.status != 0)
        #expect(result.stderr.contains("PostgreSQL 99") && result.stderr.contains("postgresql-99"))
    }

    /// One cluster, in a folder whose name needs quoting, that survives a crash's leftovers.
    @Test func quotedPathsLeftoversAndAStalePIDFile() throws {
        let data = try folder("it's here")
        // What a crash during creation would leave: a staging folder that never ran.
        try FileManager.default.createDirectory(atPath: data + "/pgdata.init", withIntermediateDirectories: true)
        chmod(data, 0o700)
        let cli = CLI(environment: ["PRACTICE_DATA_DIR": data])
        defer { _ = try? cli.run("db", "stop") }
        let started = try cli.run("db", "start")
        #expect(started.status == 0, "\(started.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data + "/pgdata.init"))
        let conf = try String(contentsOfFile: data + "/pgdata/postgresql.conf", encoding: .utf8)
        #expect(conf.contains("unix_socket_directories = '\(data.replacingOccurrences(of: "'", with: "''"))/run'"))
        // Configured before the first start: only our roles (app, owner, backup), only over the socket.
        let hba = try String(contentsOfFile: data + "/pgdata/pg_hba.conf", encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(hba.count == 2 && hba.allSatisfy { $0.hasPrefix("local") }, "\(hba)")
        #expect(hba.first?.contains("practice_owner,practice_user,practice_backup") == true)
        #expect(hba.last?.split(separator: " ", omittingEmptySubsequences: true).prefix(3) == ["local", "replication", "practice_backup"])
        for path in [data, data + "/pgdata", data + "/run", data + "/postgres.log"] {
            let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
            #expect(mode & 0o077 == 0, "\(path) is mode \(String(mode, radix: 8))")
        }

        // A crash leaves postmaster.pid behind; its pid may since belong to another process.
        #expect(try cli.run("db", "stop").status == 0)
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["60"]
        try sleeper.run()
        defer { sleeper.terminate() }
        try "\(sleeper.processIdentifier)\n\(data)/pgdata\n0\n5432\n\n\n".write(toFile: data + "/pgdata/postmaster.pid",
                                                                              atomically: false, encoding: .utf8)
        let restarted = try cli.run("db", "start")
        #expect(restarted.status == 0, "\(restarted.stderr)")
        #expect(try cli.run("setup", "--name", "Quoted", "--timezone", "UTC").status == 0)
    }

    /// Only the practice's roles get in, over the socket: not the bootstrap superuser.
    @Test func theSuperuserCannotLogIntoTheEmbeddedCluster() async throws {
        let server = try TestDatabase.serverURL()
        let socket = try #require(server.socketDirectory) + "/.s.PGSQL.\(server.port)"
        func connect(_ user: String) async throws {
            // One plain connection, not a pool: a pool would retry until its timeout.
            let configuration = PostgresConnection.Configuration(unixSocketPath: socket, username: user, password: nil,
                                                                 database: "postgres")
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: TestDatabase.logger)
            try await connection.close()
        }
        try await connect(server.user)
        do {
            try await connect(EmbeddedPostgres.bootstrapSuperuser)
            Issue.record("the bootstrap superuser logged in")
        } catch {
            #expect(String(reflecting: error).contains("pg_hba.conf"), "\(String(reflecting: error))")
        }
    }
}

/// PostgreSQL's own log: a constraint violation's DETAIL and the failing statement echo values.
@Suite("No health details in PostgreSQL's log", .timeLimit(.minutes(5)))
struct ServerLogTests {
    @Test func violationsLeaveNoNameOrTextInTheServerLog() async throws {
        guard let cluster = ProcessInfo.processInfo.environment["PRACTICE_TEST_CLUSTER"] else {
            throw TestSetupError("PRACTICE_TEST_CLUSTER is not set: run the tests with scripts/test.sh")
        }
        let marker = "Zyx" + UUID().uuidString.prefix(8).lowercased()
        let name = "Quentin \(marker)"
        let text = "Letter body \(marker)-text"
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let client = try await f.screenedClient(name, in: database)
            let service = PracticeService(database: database, context: ServiceContext(practiceID: f.practice.id, actorLabel: "test"))
            let letter = try await service.addLetter(.init(clientID: client.id, providerID: f.physician.id, direction: .outgoing,
                                                          kind: .coordination, date: futureMonday(-1), body: "Dear Dr Chen"))
            _ = try await service.sendLetter(letter.letter.id)
            for sql in [
                // A duplicate client: the unique index's DETAIL would echo the name.
                "INSERT INTO clients (practice_id, name, date_of_birth, pain_onset) VALUES (\(f.practice.id), '\(name)', '1980-04-12', '2026-01-10')",
                // A CHECK violation: its DETAIL would echo the whole row.
                "INSERT INTO clients (practice_id, name, date_of_birth, pain_onset, email) VALUES (\(f.practice.id), '\(name) II', '1980-04-12', '2026-01-10', 'not-an-email')",
                // A rejected letter text: the statement would carry it.
                "UPDATE referral_letters SET body = '\(text)' WHERE id = \(letter.letter.id)",
            ] {
                await #expect(throws: (any Error).self) {
                    try await database.transaction { _ = try await $0.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger) }
                }
            }
        }
        let log = try String(contentsOfFile: cluster + "/postgres.log", encoding: .utf8)
        #expect(log.contains("duplicate key value violates unique constraint"), "the violations should reach the log")
        #expect(!log.lowercased().contains(marker), "the server log holds the client's name or the letter's text")
    }
}
