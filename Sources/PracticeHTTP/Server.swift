import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import Metrics
import NIOCore
import NIOSSL
import OpenAPIHummingbird
import OpenAPIRuntime
import PostgresNIO
import PracticeAPI
import PracticeCore
import PracticeService
import PracticeStore
import Prometheus

/// How `practice serve` listens and what it accepts.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    /// PEM files; both or neither. With them the server speaks only HTTPS.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// Request bodies above this get 413.
    public var maxBodyBytes: Int
    /// A request that has not been answered by then gets 503.
    public var requestTimeout: Duration
    /// A request waits at most this long for a database connection before 503 (the database is down).
    public var connectionWait: Duration
    /// Failed tokens an address may present in a minute before each further failure is held a
    /// second and answered 429.
    public var failedTokenLimit: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, tlsCertificate: String? = nil, tlsKey: String? = nil,
                maxBodyBytes: Int = 1 << 20, requestTimeout: Duration = .seconds(30),
                connectionWait: Duration = .milliseconds(1500), failedTokenLimit: Int = 10) {
        (self.host, self.port, self.tlsCertificate, self.tlsKey) = (host, port, tlsCertificate, tlsKey)
        (self.maxBodyBytes, self.requestTimeout, self.connectionWait) = (maxBodyBytes, requestTimeout, connectionWait)
        self.failedTokenLimit = failedTokenLimit
    }
}

/// The process's metrics: one Prometheus registry, made the swift-metrics backend the first time
/// it is used (a process has one metrics system), so Hummingbird's request counters land in it.
public enum ServerMetrics {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}

/// The pieces a request is served with.
public struct ServerDependencies: Sendable {
    public let database: PracticeDatabase
    public let metrics: PrometheusCollectorRegistry
    public let logger: Logger
    /// Where PostgreSQL listens, so a slow request can ask whether it is down (503 at once).
    public let databaseURL: DatabaseURL?
    /// A read replica (DATABASE_READ_URL) for the read-only routes and reports.
    public let replica: PracticeDatabase?

    public init(database: PracticeDatabase, metrics: PrometheusCollectorRegistry = ServerMetrics.registry, logger: Logger,
                databaseURL: DatabaseURL? = nil, replica: PracticeDatabase? = nil) {
        (self.database, self.metrics, self.logger, self.databaseURL) = (database, metrics, logger, databaseURL)
        self.replica = replica
    }
}

/// The router: plain routes for health, metrics and the document, then the generated OpenAPI
/// handlers behind authentication. Middleware order: request log, metrics, problems, body limit,
/// plain headers, then (API routes only) the bearer token and the contract's own checks.
public func buildRouter(_ dependencies: ServerDependencies, settings: ServerSettings) throws -> Router<APIRequestContext> {
    let router = Router(context: APIRequestContext.self)
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ProblemMiddleware(contract: .document))
    router.add(middleware: BodyLimitMiddleware(maxBytes: settings.maxBodyBytes))
    router.add(middleware: PlainHeadersMiddleware())

    router.get("/openapi.yaml") { _, _ in
        Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: PracticeAPIDocument.yaml)))
    }
    let pool = PoolMetrics(database: dependencies.database, registry: dependencies.metrics)
    router.get("/metrics") { _, _ in
        pool.update()
        var buffer: [UInt8] = []
        dependencies.metrics.emit(into: &buffer)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }

    let api = PracticeAPIHandlers(database: dependencies.database, connectionWait: settings.connectionWait)
    let authenticated = router.group()
        .add(middleware: AuthenticationMiddleware(database: dependencies.database, replica: dependencies.replica, limiter: FailedTokenLimiter(limit: settings.failedTokenLimit),
                                                  connectionWait: settings.connectionWait))
        .add(middleware: ContractMiddleware(contract: .document, maxBytes: settings.maxBodyBytes))
    // Compact JSON (the runtime pretty-prints by default): a script or a browser's tools indent it.
    try api.registerHandlers(on: authenticated, serverURL: URL(string: "/")!,
                             configuration: .init(jsonEncodingOptions: [.sortedKeys]))
    return router
}

/// The whole server, as production runs it and as the tests build it: the router behind a
/// deadline that answers every request (see `DeadlineResponder`). On SIGTERM it stops accepting,
/// finishes the requests in flight and returns; `practice serve` then closes the pool.
public func buildApplication(_ dependencies: ServerDependencies, settings: ServerSettings) throws -> some ApplicationProtocol {
    let router = try buildRouter(dependencies, settings: settings)
    let probe = dependencies.databaseURL.map { url in DatabaseProbe { await url.acceptsConnections() } }
    let responder = DeadlineResponder(inner: router.buildResponder(), timeout: settings.requestTimeout,
                                      lostGrace: .milliseconds(300), probe: probe, probeAfter: .seconds(1))
    let server: HTTPServerBuilder
    switch (settings.tlsCertificate, settings.tlsKey) {
    case let (certificate?, key?):
        let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
        let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain,
                                                           privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        server = try .tls(.http1(), tlsConfiguration: tls)
    case (nil, nil):
        server = .http1()
    default:
        throw PracticeError.invalid(field: "--tls-key", reason: "--tls-cert and --tls-key go together")
    }
    var logger = dependencies.logger
    logger[metadataKey: "component"] = "http"
    return Application(responder: responder, server: server,
                       configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "practice"),
                       logger: logger)
}

/// Pool usage for /metrics: connections in use and requests waiting for one.
struct PoolMetrics: Sendable {
    let database: PracticeDatabase
    let inUse: Prometheus.Gauge
    let waiting: Prometheus.Gauge

    init(database: PracticeDatabase, registry: PrometheusCollectorRegistry) {
        self.database = database
        inUse = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "practice", subsystem: "db", metricName: "in_use", unitName: "connections",
            helpText: "Database connections serving a request now."))
        waiting = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "practice", subsystem: "db", metricName: "waiting", unitName: "requests",
            helpText: "Requests waiting for a database connection now."))
    }

    func update() {
        let usage = database.usage
        inUse.set(Double(usage.inUse))
        waiting.set(Double(usage.waiting))
    }
}
