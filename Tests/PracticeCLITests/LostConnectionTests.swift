import Foundation
import PostgresNIO
import PracticeCore
import PracticeService
import PracticeStore
import PracticeTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A running `practice` whose exit is awaited without blocking a thread.
struct RunningCLI {
    let process: Process
    let out: URL
    let err: URL
    let exited: AsyncStream<Int32>

    static func start(_ environment: [String: String], _ arguments: [String]) throws -> RunningCLI {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        process.environment = CLI(environment: environment).processEnvironment
        let folder = FileManager.default.temporaryDirectory
        let out = folder.appendingPathComponent("cli-\(UUID().uuidString).out")
        let err = folder.appendingPathComponent("cli-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { continuation.yield($0.terminationStatus); continuation.finish() }
        try process.run()
        return RunningCLI(process: process, out: out, err: err, exited: stream)
    }

    /// The exit status, or nil if it has not ended within `limit`.
    func wait(upTo limit: Duration) async -> Int32? {
        await withTaskGroup(of: Int32?.self) { group in
            group.addTask { for await status in exited { return status }; return nil }
            group.addTask { try? await Task.sleep(for: limit); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }
}

/// One plain connection (no pool to retry in the background).
func plainConnection(_ url: DatabaseURL) async throws -> PostgresConnection {
    let socket = (url.socketDirectory ?? "") + "/.s.PGSQL.\(url.port)"
    let configuration = PostgresConnection.Configuration(unixSocketPath: socket, username: url.user, password: nil, database: url.database)
    return try await PostgresConnection.connect(configuration: configuration, id: Int.random(in: 1...1_000_000), logger: TestDatabase.logger)
}

@Suite("A lost or unreachable database ends a command within 5 s", .timeLimit(.minutes(5)))
struct LostConnectionTests {
    enum Loss: String, CaseIterable, Sendable {
        case terminateBackend, killBackend, restartImmediate
    }

    @Test("a booking whose connection dies ends with 69 and writes nothing", arguments: Loss.allCases)
    func aBookingWhoseConnectionDies(_ loss: Loss) async throws {
        let server = try HostedServer.start()
        defer { server.stop() }
        try await server.admin([
            "CREATE ROLE practice_owner LOGIN", "CREATE ROLE practice_app NOLOGIN",
            "CREATE ROLE practice_web LOGIN IN ROLE practice_app", "CREATE DATABASE massagepractice OWNER practice_owner",
        ])
        let environment = ["DATABASE_URL": server.url("practice_web").urlString,
                           "PRACTICE_OWNER_URL": server.url("practice_owner").urlString]
        let cli = CLI(environment: environment)
        for arguments in [["migrate"], ["setup", "--name", "Lost", "--timezone", "America/New_York"],
                          ["staff", "add", "--name", "Marcus Bell", "--role", "therapist"],
                          ["client", "add", "--name", "Ana Ruiz", "--dob", "1980-04-12", "--pain-onset", "2026-01-10"],
                          ["screening", "record", "1", "--weight-loss-or-fever", "no", "--bilateral-numbness-or-bowel-bladder", "no",
                           "--cancer-or-major-trauma", "no"]] {
            let result = try cli.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }

        // Hold the appointments table so the booking waits inside its transaction.
        let admin = server.url(HostedServer.admin)
        let lock = try await plainConnection(admin)
        try await lock.query("BEGIN", logger: TestDatabase.logger)
        try await lock.query("LOCK TABLE appointments IN SHARE ROW EXCLUSIVE MODE", logger: TestDatabase.logger)
        let booking = try RunningCLI.start(environment, ["appointment", "book", "1", "--therapist", "1",
                                                          "--at", "\(futureMonday(2)) 10:00"])
        let monitor = try await plainConnection(admin)
        var backend: Int32?
        for _ in 0..<100 where backend == nil {
            let rows = try await monitor.query("""
                SELECT pid FROM pg_stat_activity WHERE usename = 'practice_web' AND wait_event_type = 'Lock'
                """, logger: TestDatabase.logger)
            for try await pid in rows.decode(Int32.self) { backend = pid }
            if backend == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let pid = try #require(backend, "the booking never waited on the lock")

        let lost = ContinuousClock.now
        switch loss {
        case .terminateBackend:
            try await monitor.query("SELECT pg_terminate_backend(\(pid))", logger: TestDatabase.logger)
        case .killBackend:
            #expect(kill(pid, SIGKILL) == 0)
        case .restartImmediate:
            _ = try HostedServer.run("pg_ctl", ["restart", "-w", "-m", "immediate", "-D", server.folder + "/data", "-l",
                                                server.folder + "/server.log", "-o",
                                                "-c listen_addresses='' -c unix_socket_directories='\(server.socketDirectory)'"],
                                     log: server.folder + "/tools.log")
        }
        let status = await booking.wait(upTo: .seconds(10))
        let elapsed = ContinuousClock.now - lost
        // The test's own connections may have been dropped by the server too (SIGKILL of a backend
        // makes PostgreSQL restart every backend); PostgresNIO can wait forever to close such a
        // connection, so they are closed in the background and not waited for.
        for connection in [lock, monitor] { Task { try? await connection.close() } }
        #expect(status == 69, "exit \(status.map(String.init) ?? "none: still running") after \(elapsed): \(booking.stderr)")
        #expect(elapsed < .seconds(5), "took \(elapsed)")
        #expect(booking.stderr.split(separator: "\n").count == 1 && booking.stderr.contains("nothing of this command was saved"))
        if status == nil { booking.process.terminate() }

        // Nothing was half-written (the server may still be recovering after SIGKILL or a restart).
        var count: Int?
        for _ in 0..<50 where count == nil {
            count = try? await PracticeDatabase.withDatabase(url: server.url(HostedServer.admin), logger: TestDatabase.logger) { db in
                try await db.read { try await $0.query("SELECT count(*)::int FROM appointments", logger: TestDatabase.logger)
                    .decode(Int.self).reduce(0, +) }
            }
            if count == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(count == 0)
    }

    @Test func aStoppedServerIsReportedWithin5Seconds() async throws {
        guard let scratch = ProcessInfo.processInfo.environment["PRACTICE_TEST_SCRATCH"] else {
            throw TestSetupError("PRACTICE_TEST_SCRATCH is not set: run the tests with scripts/test.sh")
        }
        let nowhere = "\(scratch)/stopped-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: nowhere, withIntermediateDirectories: true)
        let started = ContinuousClock.now
        let result = try CLI(environment: ["DATABASE_URL": "postgres://practice_web@/massagepractice?host=\(nowhere)"])
            .run("client", "list")
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func aPortThatAcceptsButNeverAnswersIsReportedWithin5Seconds() async throws {
        // A loopback listener that never accepts: the kernel completes the handshake, nobody speaks.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(listener, raw, length) == 0, listen(listener, 16) == 0, getsockname(listener, raw, &length) == 0 else {
                    throw TestSetupError("cannot listen on loopback (errno \(errno))")
                }
            }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let started = ContinuousClock.now
        let result = try CLI(environment: ["DATABASE_URL": "postgres://practice_web@127.0.0.1:\(port)/massagepractice?sslmode=disable"])
            .run("client", "list")
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(result.status == 69, "\(result.stderr)")
    }
}

@Suite("Status changes lock the row they change", .timeLimit(.minutes(5)))
struct ConcurrentStatusTests {
    @Test func tenSimultaneousCheckInsGiveOneSuccessAndOneAuditEvent() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let client = try await f.screenedClient("Ana Ruiz", in: database)
            let service = PracticeService(database: database, context: ServiceContext(practiceID: f.practice.id, actorLabel: "desk"))
            let today = practiceToday(f.practice.timeZone)
            let booked = try await service.book(BookingRequest(
                clientID: client.id, therapistID: f.therapist.id,
                at: LocalDateTime(date: today, time: try TimeOfDay(hour: 0, minute: 5)), minutes: 30, past: true))
            let id = booked.value.appointments[0].id
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask { (try? await service.checkIn(id)) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            let events = try await service.auditEvents(clientID: client.id, staffID: nil, since: nil, limit: 1000)
                .filter { $0.table == "appointments" && $0.rowID == id && $0.action == "update" }
            #expect(events.count == 1)
            #expect(events.first?.columns?.contains("status") == true)
        }
    }
}
