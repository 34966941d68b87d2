import Foundation
import Hummingbird
import Logging
import NIOCore
import PracticeCore
import PracticeService
import PracticeStore
import Synchronization

/// The request context: Hummingbird's core storage plus the peer's address, which the failed-token
/// limiter keys on.
public struct APIRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Who a request acts as, for the OpenAPI handlers (which see only the generated input): set by
/// `AuthenticationMiddleware` for the rest of the request.
public struct RequestIdentity: Sendable {
    public let identity: Tokens.Identity
    /// The service in the token's practice, acting as its staff member with their role.
    public let service: PracticeService

    @TaskLocal public static var current: RequestIdentity?
}

/// Bearer tokens: a missing, malformed, unknown, expired or revoked token gets 401; an address
/// that keeps presenting bad tokens has each further failure held for a second and answered 429.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let database: PracticeDatabase
    let replica: PracticeDatabase?
    let limiter: FailedTokenLimiter
    let connectionWait: Duration

    /// Routes anyone may call: the load balancer's health check.
    static let open: Set<String> = ["/health"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.open.contains(request.uri.path) { return try await next(request, context) }
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthenticated("send `Authorization: Bearer TOKEN`; tokens come from `practice staff token`")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        var database = database
        database.connectionWait = connectionWait
        let identity: Tokens.Identity? = if parts.count == 2, parts[0].lowercased() == "bearer" {
            try await PracticeService.authenticate(String(parts[1]), database: database)
        } else { nil }
        guard let identity else {
            // An address that keeps failing waits, and then is told to wait longer: guessing is
            // slowed down, while a valid token from the same address is still served.
            if let wait = limiter.failed(address) {
                try await Task.sleep(for: FailedTokenLimiter.penalty)
                throw APIError.tooManyFailures(retryAfter: wait)
            }
            throw APIError.unauthenticated(parts.count == 2 && parts[0].lowercased() == "bearer"
                                           ? "the token is unknown, expired or revoked"
                                           : "the Authorization header must be `Bearer TOKEN`")
        }
        let service = PracticeService(database: database, context: ServiceContext(practiceID: identity.practiceID,
                                                                                  actorID: identity.staffID,
                                                                                  role: identity.role),
                                      replica: replica)
        var context = context
        context.logger[metadataKey: "staff"] = "\(identity.staffID)"
        return try await RequestIdentity.$current.withValue(RequestIdentity(identity: identity, service: service)) {
            try await next(request, context)
        }
    }
}

/// Failed tokens per address: past `limit` failures within `window`, each further failure is
/// held for `penalty` and answered 429 until the oldest of them leaves the window.
final class FailedTokenLimiter: Sendable {
    let limit: Int
    let window: Duration
    let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])

    init(limit: Int = 10, window: Duration = .seconds(60)) {
        (self.limit, self.window) = (limit, window)
    }

    /// How long a failure from a blocked address is held before it is answered.
    static let penalty: Duration = .seconds(1)

    /// Records a failure; returns how long the address should wait if it is now over the limit.
    func failed(_ address: String) -> Duration? {
        let now = ContinuousClock.now
        return failures.withLock { table in
            var recent = (table[address] ?? []).filter { now - $0 < window }
            recent.append(now)
            table[address] = recent
            if table.count > 10_000 { table = table.filter { $0.value.contains { now - $0 < window } } }
            guard recent.count > limit, let oldest = recent.first else { return nil }
            return window - (now - oldest)
        }
    }
}
