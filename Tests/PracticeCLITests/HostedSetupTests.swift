import Foundation
import PostgresNIO
import PracticeCore
import PracticeStore
import PracticeTestSupport
import Testing

/// A PostgreSQL server of our own with a superuser, like a hosted server an administrator sets up:
/// initdb'd into the test's scratch folder, listening only on a unix socket there.
struct HostedServer {
    let folder: String
    var socketDirectory: String { folder + "/run" }
    static let admin = "dbadmin"

    static func binary(_ tool: String) throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/\(tool)") {
            return "\(root)/\(version)/bin/\(tool)"
        }
        throw TestSetupError("PostgreSQL's \(tool) is not installed")
    }

    /// Runs a server program as the postgres system user (PostgreSQL refuses root). The store's
    /// posix_spawn runner, not Foundation's Process, which can miss the exit of `pg_ctl start`
    /// once the server it leaves behind holds inherited descriptors.
    static func run(_ tool: String, _ arguments: [String], log: String) throws -> Int32 {
        let path = try binary(tool)
        let result = geteuid() == 0
            ? try Shell.run("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments)
            : try Shell.run(path, arguments)
        if let handle = FileHandle(forWritingAtPath: log) ?? {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            return FileHandle(forWritingAtPath: log)
        }() {
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: Data(result.output.utf8))
            try? handle.close()
        }
        return result.status
    }

    static func start() throws -> HostedServer {
        guard let scratch = ProcessInfo.processInfo.environment["PRACTICE_TEST_SCRATCH"] else {
            throw TestSetupError("PRACTICE_TEST_SCRATCH is not set: run the tests with scripts/test.sh")
        }
        let server = HostedServer(folder: "\(scratch)/hosted-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: server.socketDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        if geteuid() == 0, let account = getpwnam("postgres") {
            for path in [server.folder, server.socketDirectory] { chown(path, account.pointee.pw_uid, account.pointee.pw_gid) }
        }
        let log = server.folder + "/tools.log"
        guard try run("initdb", ["-D", server.folder + "/data", "-U", admin, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
                      log: log) == 0,
              try run("pg_ctl", ["start", "-w", "-t", "60", "-D", server.folder + "/data", "-l", server.folder + "/server.log",
                                 "-o", "-c listen_addresses='' -c unix_socket_directories='\(server.socketDirectory)'"], log: log) == 0
        else {
            throw TestSetupError("the hosted test server did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
        return server
    }

    func stop() {
        _ = try? Self.run("pg_ctl", ["stop", "-w", "-m", "immediate", "-D", folder + "/data"], log: folder + "/tools.log")
        try? FileManager.default.removeItem(atPath: folder)
    }

    func url(_ user: String, _ database: String = "massagepractice") -> DatabaseURL {
        DatabaseURL(socketDirectory: socketDirectory, user: user, database: database)
    }

    func admin(_ statements: [String], database: String = "postgres") async throws {
        try await PracticeDatabase.withDatabase(url: url(Self.admin, database), logger: TestDatabase.logger) { db in
            try await db.read { connection in
                for sql in statements { try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger) }
            }
        }
    }
}

@Suite("A hosted server: owner migrates, the app role works, a superuser is refused", .timeLimit(.minutes(5)))
struct HostedSetupTests {
    @Test func theREADMEsHostedSetupWorksAndHoldsItsGuarantees() async throws {
        let server = try HostedServer.start()
        defer { server.stop() }
        // The README's steps, as the server's administrator.
        try await server.admin([
            "CREATE ROLE practice_owner LOGIN",
            "CREATE ROLE practice_app NOLOGIN",
            "CREATE ROLE practice_web LOGIN IN ROLE practice_app",
            "CREATE DATABASE massagepractice OWNER practice_owner",
            "ALTER DATABASE massagepractice SET log_error_verbosity = terse",
            "ALTER DATABASE massagepractice SET log_min_error_statement = panic",
        ])
        let app = server.url("practice_web")
        let cli = CLI(environment: ["DATABASE_URL": app.urlString, "PRACTICE_OWNER_URL": server.url("practice_owner").urlString])

        // Without PRACTICE_OWNER_URL, migrate works as DATABASE_URL's role, which cannot create tables.
        let noOwner = try CLI(environment: ["DATABASE_URL": app.urlString]).run("migrate")
        #expect(noOwner.status != 0)
        let migrate = try cli.run("migrate")
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(migrate.stdout.contains("0006_guarantees"))
        let demo = try cli.run("demo")
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(try cli.run("client", "show", "13").status == 0)

        // The app role's own connection cannot change a signed note or go around a trigger.
        try await PracticeDatabase.withDatabase(url: app, logger: TestDatabase.logger) { database in
            database.scope.set(practiceID: 1)
            database.scope.set(actor: "hosted-test")
            for sql in ["UPDATE session_notes SET assessment = 'x' WHERE signed_at IS NOT NULL",
                        "SET session_replication_role = replica", "TRUNCATE session_notes CASCADE",
                        "DELETE FROM audit_events", "UPDATE pain_reports SET score = 0"] {
                await #expect(throws: (any Error).self, "ran: \(sql)") {
                    try await database.transaction { connection in
                        for try await _ in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger) {}
                    }
                }
            }
        }

        // A superuser connection is refused, and says why; PRACTICE_ALLOW_SUPERUSER=1 lets it work with a warning.
        let superURL = server.url(HostedServer.admin).urlString
        let refused = try CLI(environment: ["DATABASE_URL": superURL]).run("client", "list")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("superuser") && refused.stderr.contains("PRACTICE_ALLOW_SUPERUSER=1"))
        #expect(refused.stderr.split(separator: "\n").count == 1)
        let allowed = try CLI(environment: ["DATABASE_URL": superURL, "PRACTICE_ALLOW_SUPERUSER": "1"]).run("client", "list")
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stderr.contains("superuser") && allowed.stdout.contains("Maria Rossi"))
    }
}
