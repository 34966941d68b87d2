import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import Synchronization
import PracticeCore
import PracticeHTTP
import PracticeService
import PracticeStore

/// `practice serve`: the HTTP API for the front desk's screen and the therapists' tablets.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP API (OpenAPI document at /openapi.yaml, health at /health, metrics at /metrics).",
        discussion: """
            Every request needs `Authorization: Bearer TOKEN`, a token from `practice staff token STAFF`; it acts \
            as that staff member, in their practice, with their role. The server runs until SIGTERM or SIGINT, \
            then finishes the requests in flight and closes its database connections.

            It listens on 127.0.0.1 unless --host says otherwise. Give --tls-cert and --tls-key (PEM) to serve \
            HTTPS only; without them, put it behind a TLS-terminating proxy before exposing it beyond this machine.
            Logs (stderr) carry request ids, routes, statuses and times; never names, notes, scores or tokens. \
            PRACTICE_LOG_LEVEL sets their level (default info).
            Example: practice serve --port 8443 --tls-cert /etc/practice/cert.pem --tls-key /etc/practice/key.pem
            """)

    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one; the chosen port is logged).") var port: Int = 8080
    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("PEM certificate chain; with --tls-key, serve HTTPS.", valueName: "path"))
    var tlsCertificate: String?
    @Option(name: .customLong("tls-key"), help: ArgumentHelp("PEM private key for --tls-cert.", valueName: "path")) var tlsKey: String?
    @Option(name: .customLong("max-body"), help: ArgumentHelp("Largest request body accepted, in KiB (413 above).", valueName: "KiB"))
    var maxBodyKiB: Int = 1024
    @Option(name: .customLong("request-timeout"), help: ArgumentHelp("Seconds before an unanswered request gets 503.", valueName: "s"))
    var requestTimeout: Int = 30
    @Option(name: .customLong("failed-token-limit"),
            help: ArgumentHelp("Failed tokens one address may send in a minute before further failures are held 1 s and answered 429.",
                               valueName: "n"))
    var failedTokenLimit: Int = 10

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port: must be 0–65535") }
        guard (1...102_400).contains(maxBodyKiB) else { throw ValidationError("--max-body: must be 1–102400 KiB") }
        guard (1...600).contains(requestTimeout) else { throw ValidationError("--request-timeout: must be 1–600 seconds") }
        guard failedTokenLimit >= 1 else { throw ValidationError("--failed-token-limit: must be at least 1") }
        guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        for path in [tlsCertificate, tlsKey].compactMap({ $0 }) where !FileManager.default.isReadableFile(atPath: path) {
            throw ValidationError("\(path): cannot be read")
        }
    }

    func run() async throws {
        var serverLogger = Logger(label: "practice.serve") { StreamLogHandler.standardError(label: $0) }
        serverLogger.logLevel = ProcessInfo.processInfo.environment["PRACTICE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let target = try DatabaseTarget.fromEnvironment()
        // Starts the embedded cluster if need be, applies or checks migrations, refuses a superuser.
        try await PracticeService.withDatabase(target: target, connection: connectionPolicy, logger: logger) { _ in }

        let settings = ServerSettings(host: host, port: port, tlsCertificate: tlsCertificate, tlsKey: tlsKey,
                                      maxBodyBytes: maxBodyKiB * 1024, requestTimeout: .seconds(requestTimeout),
                                      failedTokenLimit: failedTokenLimit)
        var background = logger
        background.logLevel = .error
        let client = PostgresClient(configuration: try target.url.clientConfiguration(), backgroundLogger: background)
        let database = PracticeDatabase(client: client, logger: logger, connectionWait: settings.connectionWait)
        // DATABASE_READ_URL: reads and reports on the replica, writes on DATABASE_URL.
        let replicaClient = try DatabaseTarget.readURL().map {
            PostgresClient(configuration: try $0.clientConfiguration(), backgroundLogger: background)
        }
        let replica = replicaClient.map { PracticeDatabase(client: $0, logger: logger, connectionWait: settings.connectionWait) }
        let app = try buildApplication(ServerDependencies(database: database, logger: serverLogger, databaseURL: target.url,
                                                          replica: replica), settings: settings)
        // The pool runs beside the server. After SIGTERM the server has answered every request in
        // flight; the pool is then asked to close, and given 5 s (a connection PostgreSQL dropped
        // mid-request can keep it waiting) before the process ends anyway.
        let closed = Atomic<Bool>(false)
        let pool = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await client.run() }
                if let replicaClient { group.addTask { await replicaClient.run() } }
            }
            closed.store(true, ordering: .relaxed)
        }
        try await app.runService()
        pool.cancel()
        for _ in 0..<50 where !closed.load(ordering: .relaxed) {
            try? await Task.sleep(for: .milliseconds(100))
        }
        serverLogger.info("stopped", metadata: ["pool": "\(closed.load(ordering: .relaxed) ? "closed" : "abandoned")"])
    }
}
