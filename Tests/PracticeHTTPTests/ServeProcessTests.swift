import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import PostgresNIO
import PracticeStore
import PracticeTestSupport
import Synchronization
import Testing

/// `practice serve` as a person runs it: the real binary, its own embedded cluster (which these
/// tests stop and start), TLS with a self-signed certificate, and SIGTERM.
@Suite(.serialized) struct ServeProcessTests {
    /// A practice's own cluster with the demo practice in it, and an owner's token.
    struct Site: Sendable {
        let folder: String
        let token: String
        var environment: [String: String] {
            var environment = ProcessInfo.processInfo.environment
            environment.removeValue(forKey: "DATABASE_URL")
            environment["PRACTICE_DATA_DIR"] = folder + "/cluster"
            environment["PRACTICE_LOG_LEVEL"] = "info"
            return environment
        }

        static func make() throws -> Site {
            let scratch = ProcessInfo.processInfo.environment["PRACTICE_TEST_SCRATCH"] ?? NSTemporaryDirectory()
            let folder = scratch + "/serve-" + UUID().uuidString.prefix(8)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
            var site = Site(folder: folder, token: "")
            try site.run(["demo"])
            let token = try site.run(["staff", "token", "1", "--expires", "1d"]).trimmingCharacters(in: .whitespacesAndNewlines)
            site = Site(folder: folder, token: token)
            return site
        }

        @discardableResult
        func run(_ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = arguments
            process.environment = environment
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw TestSetupError("practice \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
            }
            return String(decoding: data, as: UTF8.self)
        }

        static var binary: String { ProcessInfo.processInfo.environment["PRACTICE_BIN"] ?? ".build/debug/practice" }

        func remove() {
            _ = try? run(["db", "stop"])
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    /// A running `practice serve`, and the port it chose.
    struct Server {
        let process: Process
        let log: URL
        let port: Int

        static func start(_ site: Site, _ arguments: [String] = []) async throws -> Server {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Site.binary)
            process.arguments = ["serve", "--port", "0"] + arguments
            process.environment = site.environment
            let log = URL(fileURLWithPath: site.folder + "/serve-\(UUID().uuidString.prefix(6)).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: log)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            for _ in 0..<300 {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if let range = text.range(of: "listening on 127.0.0.1:"),
                   let port = Int(text[range.upperBound...].prefix { $0.isNumber }) {
                    return Server(process: process, log: log, port: port)
                }
                guard process.isRunning else { throw TestSetupError("practice serve ended: \(text)") }
                try await Task.sleep(for: .milliseconds(100))
            }
            process.terminate()
            throw TestSetupError("practice serve did not start listening")
        }

        var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    /// What the steady stream of requests got back.
    final class Stream: Sendable {
        let answers = Mutex<[(kind: String, answer: Answer)]>([])
        let running = Atomic<Bool>(true)
    }

    struct Answer: Sendable {
        var status: Int
        var seconds: Double
        var retryAfter: String?
        var body: String
        var started: ContinuousClock.Instant
    }

    static func send(_ client: HTTPClient, _ method: HTTPMethod, _ url: String, token: String, body: String? = nil) async -> Answer {
        let started = ContinuousClock.now
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            let elapsed = ContinuousClock.now - started
            return Answer(status: Int(response.status.code), seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                          retryAfter: response.headers.first(name: "Retry-After"), body: text, started: started)
        } catch {
            let elapsed = ContinuousClock.now - started
            return Answer(status: 0, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                          retryAfter: nil, body: "\(error)", started: started)
        }
    }

    @Test func theServerRidesOutADatabaseRestartAndEverySavedWriteIsKept() async throws {
        let site = try Site.make()
        defer { site.remove() }
        let server = try await Server.start(site)
        defer { server.stop() }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let base = "http://127.0.0.1:\(server.port)"

        // A steady stream from three clients: pain reports (writes) and reads, each every 100 ms.
        let stream = Stream()
        let workers = (0..<3).map { worker in
            Task { [client, site, base] in
                var score = worker
                while stream.running.load(ordering: .relaxed) {
                    score = (score + 1) % 11
                    let answer = worker == 2
                        ? await Self.send(client, .GET, "\(base)/clients?limit=5", token: site.token)
                        : await Self.send(client, .POST, "\(base)/clients/1/pain", token: site.token, body: "{\"score\": \(score)}")
                    stream.answers.withLock { $0.append((worker == 2 ? "read" : "write", answer)) }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        try await Task.sleep(for: .seconds(1))
        try site.run(["db", "stop"])
        let stopped = ContinuousClock.now
        try await Task.sleep(for: .seconds(5))
        let starting = ContinuousClock.now
        try site.run(["db", "start"])
        let restarted = ContinuousClock.now
        try await Task.sleep(for: .seconds(6))
        stream.running.store(false, ordering: .relaxed)
        for worker in workers { await worker.value }

        let all = stream.answers.withLock { $0 }
        // Before the stop: served.
        #expect(all.filter { $0.answer.started < stopped }.contains { $0.answer.status == 200 || $0.answer.status == 201 })
        // While down: every request fails with 503 and Retry-After, none hangs or is a 500; the
        // server answers each within 2 s by its own clock (its log). The client's clock is only
        // held to 10 s: on two cores under the whole test suite, the processes queue for CPU.
        // (A request still waiting when the database starts again may be served: that is the point.)
        let down = all.filter { $0.answer.started > stopped + .milliseconds(200) && $0.answer.started + .seconds(2) < starting }
        #expect(down.count >= 1)
        for (kind, answer) in down {
            #expect(answer.status == 503, "\(kind) while down: \(answer.status) \(answer.body.prefix(200))")
            #expect(answer.seconds < 10.0, "\(kind) while down took \(answer.seconds) s")
            #expect(answer.retryAfter != nil)
        }
        let unavailable = server.logText.split(separator: "\n").filter { $0.contains("status=503") && $0.contains(" ms=") }
        #expect(unavailable.count >= down.count)
        var slowest = 0.0
        for line in unavailable {
            let milliseconds = line.range(of: "ms=").flatMap { Double(line[$0.upperBound...].prefix { $0.isNumber || $0 == "." }) }
            #expect((milliseconds ?? 99_999) < 2000, "the server took too long to answer 503: \(line)")
            slowest = max(slowest, milliseconds ?? 0)
        }
        #expect(!all.contains { $0.answer.status >= 500 && $0.answer.status != 503 }, "a request got a 5xx other than 503")
        // Back within 5 s of the database, without restarting the server.
        let firstBack = all.filter { $0.answer.started > restarted && ($0.answer.status == 200 || $0.answer.status == 201) }
            .map(\.answer.started).min()
        let recovery = try #require(firstBack) - restarted
        #expect(recovery < .seconds(5), "served again \(recovery) after the database came back")
        print("database restart: \(down.count) requests while down, \(unavailable.count) answered 503 by the server, "
              + "slowest \(slowest) ms by its clock, \(String(format: "%.2f", down.map(\.answer.seconds).max() ?? 0)) s by the client's; "
              + "served again \(recovery) after `db start` returned")
        #expect(all.filter { $0.answer.started > restarted + .seconds(5) }.allSatisfy { $0.answer.status == 200 || $0.answer.status == 201 })

        // Every write answered 2xx is in the database.
        let savedIDs: [Int] = all.filter { $0.kind == "write" && $0.answer.status == 201 }.compactMap { Self.id(in: $0.answer.body) }
        #expect(savedIDs.count >= 3)
        let history = await Self.send(client, .GET, "\(base)/clients/1/pain?limit=500", token: site.token)
        let stored = Set(Self.ids(in: history.body))
        #expect(savedIDs.allSatisfy(stored.contains), "answered 2xx but missing: \(savedIDs.filter { !stored.contains($0) })")
        try await client.shutdown()
        // The server's log holds routes and statuses, never names or tokens.
        #expect(server.logText.contains("route=/clients/{client_id}/pain"))
        #expect(!server.logText.contains(site.token))
        #expect(!server.logText.contains("Ana Ruiz"))
    }

    @Test func tlsWithASelfSignedCertificate() async throws {
        let site = try Site.make()
        defer { site.remove() }
        let certificate = site.folder + "/cert.pem", key = site.folder + "/key.pem"
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2",
                             "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        #expect(openssl.terminationStatus == 0)
        let server = try await Server.start(site, ["--tls-cert", certificate, "--tls-key", key])
        defer { server.stop() }

        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(certificate)
        let trusting = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        let health = await Self.send(trusting, .GET, "https://127.0.0.1:\(server.port)/health", token: site.token)
        #expect(health.status == 200)
        let clients = await Self.send(trusting, .GET, "https://127.0.0.1:\(server.port)/clients?limit=1", token: site.token)
        #expect(clients.status == 200)
        try await trusting.shutdown()
        // Plain HTTP is not answered on the TLS port; a client that does not trust the certificate refuses it.
        let plain = HTTPClient(eventLoopGroupProvider: .singleton)
        #expect(await Self.send(plain, .GET, "http://127.0.0.1:\(server.port)/health", token: site.token).status == 0)
        #expect(await Self.send(plain, .GET, "https://127.0.0.1:\(server.port)/health", token: site.token).status == 0)
        try await plain.shutdown()
    }

    @Test func sigtermFinishesTheRequestInFlightThenExits() async throws {
        let site = try Site.make()
        defer { site.remove() }
        let server = try await Server.start(site)
        defer { server.stop() }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        // Hold client 1's row so a pain report for it waits on the database.
        let owner = try DatabaseURL(parsing: try site.run(["db", "url", "--owner"]).trimmingCharacters(in: .whitespacesAndNewlines))
        let inFlight: Task<Answer, Never> = try await PracticeDatabase.withDatabase(url: owner, logger: logger) { database in
            try await database.client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT set_config('practice.practice_id', '1', true)", logger: logger)
                try await connection.query("SELECT id FROM clients WHERE id = 1 FOR UPDATE", logger: logger)
                let inFlight = Task {
                    await Self.send(client, .POST, "http://127.0.0.1:\(server.port)/clients/1/pain", token: site.token, body: "{\"score\": 4}")
                }
                try await Task.sleep(for: .milliseconds(700))
                kill(server.process.processIdentifier, SIGTERM)
                try await Task.sleep(for: .milliseconds(500))
                #expect(server.process.isRunning, "the server quit with a request in flight")
                return inFlight
            }
        }
        // The lock is released: the request in flight finishes, then the server exits.
        let answer = await inFlight.value
        #expect(answer.status == 201, "\(answer.status) \(answer.body.prefix(200))")
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        try await client.shutdown()
    }

    /// The first `"id"` in a JSON body, however it is spaced.
    static func id(in body: String) -> Int? { ids(in: body).first }

    /// Every `"id"` in a JSON body, in order, however it is spaced.
    static func ids(in body: String) -> [Int] {
        body.matches(of: /"id"\s*:\s*(\d+)/).compactMap { Int($0.output.1) }
    }
}
