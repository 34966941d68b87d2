import Foundation
import PostgresNIO
import PracticeCore
import PracticeStore
import PracticeTestSupport
import Testing

/// TLS to PostgreSQL, as DATABASE_URL's `sslmode` and `sslrootcert` say: a cluster of the test's
/// own listens on loopback with `ssl = on` and a certificate for `localhost` from a CA the test
/// makes, and refuses any connection without TLS.
@Suite("TLS to PostgreSQL", .timeLimit(.minutes(5)))
struct DatabaseTLSTests {
    static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestSetupError("\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
    }

    /// Debian's pg_ctl of the newest installed PostgreSQL, as the postgres user when we are root.
    static func pgCtl(_ arguments: [String]) throws {
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).compactMap(Int.init).sorted()
        guard let version = versions.last else { throw TestSetupError("no PostgreSQL under /usr/lib/postgresql") }
        let pgCtl = "/usr/lib/postgresql/\(version)/bin/pg_ctl"
        // The store's posix_spawn runner, not `Process`: pg_ctl leaves a server behind that
        // holds inherited descriptors, and `Process` can then miss pg_ctl's exit.
        let result = geteuid() == 0 ? try Shell.run("/usr/sbin/runuser", ["-u", "postgres", "--", pgCtl] + arguments)
            : try Shell.run(pgCtl, arguments)
        guard result.status == 0 else { throw TestSetupError("pg_ctl \(arguments.first ?? ""): \(result.output)") }
    }

    /// A CA, and a server certificate it signed for DNS:localhost only (no IP address).
    static func makeCertificates(in folder: String) throws {
        let openssl = "/usr/bin/openssl"
        try run(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Practice Test CA",
                          "-keyout", "\(folder)/ca.key", "-out", "\(folder)/ca.crt"])
        try run(openssl, ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                          "-keyout", "\(folder)/server.key", "-out", "\(folder)/server.csr"])
        try "subjectAltName=DNS:localhost\n".write(toFile: "\(folder)/san.ext", atomically: true, encoding: .utf8)
        try run(openssl, ["x509", "-req", "-in", "\(folder)/server.csr", "-CA", "\(folder)/ca.crt", "-CAkey", "\(folder)/ca.key",
                          "-CAcreateserial", "-days", "2", "-extfile", "\(folder)/san.ext", "-out", "\(folder)/server.crt"])
    }

    @Test func sslModesAreHonoured() async throws {
        guard let scratch = ProcessInfo.processInfo.environment["PRACTICE_TEST_SCRATCH"] else {
            throw TestSetupError("PRACTICE_TEST_SCRATCH is not set: run the tests with scripts/test.sh")
        }
        let folder = "\(scratch)/tls-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let embedded = CLI(environment: ["PRACTICE_DATA_DIR": folder + "/db"])
        #expect(try embedded.run("db", "start").status == 0)
        defer { _ = try? embedded.run("db", "stop") }
        #expect(try embedded.run("demo").status == 0)

        // The server's key and certificate live in its data folder, as PostgreSQL requires
        // (the key private to the server's user).
        try Self.makeCertificates(in: folder)
        let pgdata = folder + "/db/pgdata"
        for file in ["server.crt", "server.key"] {
            try? FileManager.default.removeItem(atPath: "\(pgdata)/\(file)")
            try FileManager.default.copyItem(atPath: "\(folder)/\(file)", toPath: "\(pgdata)/\(file)")
            chmod("\(pgdata)/\(file)", 0o600)
            if geteuid() == 0, let postgres = getpwnam("postgres") {
                chown("\(pgdata)/\(file)", postgres.pointee.pw_uid, postgres.pointee.pw_gid)
            }
        }
        let port = Int.random(in: 20_000..<40_000)
        let settings = """
            listen_addresses = '127.0.0.1'
            port = \(port)
            ssl = on
            ssl_cert_file = 'server.crt'
            ssl_key_file = 'server.key'

            """
        let auto = "\(pgdata)/postgresql.auto.conf"
        let existing = (try? String(contentsOfFile: auto, encoding: .utf8)) ?? ""
        try (existing + settings).write(toFile: auto, atomically: false, encoding: .utf8)
        // Over TCP only with TLS; the socket stays as `practice` wrote it.
        let hba = "\(pgdata)/pg_hba.conf"
        let rules = try String(contentsOfFile: hba, encoding: .utf8)
        try (rules + "hostssl all practice_user 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n")
            .write(toFile: hba, atomically: false, encoding: .utf8)
        #expect(try embedded.run("db", "stop").status == 0)
        // Started by pg_ctl itself: `practice db start` expects its own socket on port 5432.
        try Self.pgCtl(["start", "-w", "-t", "60", "-D", pgdata, "-l", folder + "/db/postgres.log"])

        let ca = "\(folder)/ca.crt"
        let base = "postgres://practice_user@%@:\(port)/massagepractice?sslmode=%@&sslrootcert=\(ca)"
        func url(_ host: String, _ mode: String) throws -> DatabaseURL {
            try DatabaseURL(parsing: String(format: base, host, mode))
        }

        // verify-full, by the name on the certificate: connected, over TLS.
        let viaTLS = try await PracticeDatabase.withDatabase(url: try url("localhost", "verify-full"), logger: TestDatabase.logger) { database in
            try await database.client.withConnection { connection in
                try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: TestDatabase.logger)
                    .decode(Bool.self).reduce(into: false) { $0 = $0 || $1 }
            }
        }
        #expect(viaTLS)
        // And the whole command line, from DATABASE_URL.
        let cli = CLI(environment: ["DATABASE_URL": String(format: base, "localhost", "verify-full")])
        let listed = try cli.run("client", "list", "--json")
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("\"id\""))

        // verify-full by an address the certificate does not name: refused.
        let wrongName = try CLI(environment: ["DATABASE_URL": String(format: base, "127.0.0.1", "verify-full")])
            .run("client", "list", "--json")
        #expect(wrongName.status != 0)
        #expect(wrongName.stdout.isEmpty)
        #expect(wrongName.stderr.split(separator: "\n").count == 1, "\(wrongName.stderr)")
        // verify-ca trusts the CA without checking the name: the same address connects.
        #expect(try CLI(environment: ["DATABASE_URL": String(format: base, "127.0.0.1", "verify-ca")]).run("client", "list").status == 0)
        // A CA that did not sign the server's certificate: refused.
        let otherCA = "\(folder)/other"
        try FileManager.default.createDirectory(atPath: otherCA, withIntermediateDirectories: true)
        try Self.makeCertificates(in: otherCA)
        let untrusted = try CLI(environment: ["DATABASE_URL": "postgres://practice_user@localhost:\(port)/massagepractice?sslmode=verify-full&sslrootcert=\(otherCA)/ca.crt"])
            .run("client", "list")
        #expect(untrusted.status != 0)

        // No TLS against a server that requires it: refused.
        let plain = try CLI(environment: ["DATABASE_URL": "postgres://practice_user@localhost:\(port)/massagepractice?sslmode=disable"])
            .run("client", "list", "--json")
        #expect(plain.status != 0)
        #expect(plain.stdout.isEmpty)
        #expect(plain.stderr.split(separator: "\n").count == 1, "\(plain.stderr)")
    }

    @Test func aVerifyingModeWithoutARootCertificateIsABadURL() {
        // Parsing keeps sslrootcert; asking for the pool's settings without one names the field.
        #expect(throws: PracticeError.self) {
            var url = try DatabaseURL(parsing: "postgres://u@db.example:5432/d?sslmode=verify-full")
            url.sslRootCert = nil
            if FileManager.default.isReadableFile(atPath: NSHomeDirectory() + "/.postgresql/root.crt") { return }
            _ = try url.clientConfiguration()
        }
        #expect(throws: PracticeError.self) {
            _ = try DatabaseURL(parsing: "postgres://u@db.example/d?sslmode=verify-full&sslcert=/x.crt")
        }
        #expect(throws: PracticeError.self) {
            _ = try DatabaseURL(parsing: "postgres://u@db.example/d?sslmode=verify-everything")
        }
    }
}
