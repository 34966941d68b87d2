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
/// that keeps presenting bad tokens is answered 429 for a while without the token being looked at.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let database: PracticeDatabase
    let limiter: FailedTokenLimiter
    let connectionWait: Duration

    /// Routes anyone may call: the load balancer's health check.
    static let open: Set<String> = ["/health"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.open.contains(request.uri.path) { return try await next(request, context) }
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        if let wait = limiter.blocked(address) {
            throw APIError.tooManyFailures(retryAfter: wait)
        }
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthenticated("send `Authorization: Bearer TOKEN`; tokens come from `practice staff token`")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            limiter.failed(address)
            throw APIError.unauthenticated("the Authorization header must be `Bearer TOKEN`")
        }
        var database = database
        database.connectionWait = connectionWait
        guard let identity = try await PracticeService.authenticate(String(parts[1]), database: database) else {
            limiter.failed(address)
            throw APIError.unauthenticated("the token is unknown, expired or revoked")
        }
        let service = PracticeService(database: database, context: ServiceContext(practiceID: identity.practiceID,
                                                                                  actorID: identity.staffID,
                                                                                  role: identity.role))
        var context = context
        context.logger[metadataKey: "staff"] = "\(identity.staffID)"
        return try await RequestIdentity.$current.withValue(RequestIdentity(identity: identity, service: service)) {
            try await next(request, context)
        }
    }
}

/// Failed tokens per address: after `limit` failures within `window`, the address is answered
/// 429 until the oldest of them leaves the window.
final class FailedTokenLimiter: Sendable {
    let limit: Int
    let window: Duration
    let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])

    init(limit: Int = 10, window: Duration = .seconds(60)) {
        (self.limit, self.window) = (limit, window)
    }

    func failed(_ address: String) {
        let now = ContinuousClock.now
        failures.withLock { table in
            var recent = (table[address] ?? []).filter { now - $0 < window }
            recent.append(now)
            table[address] = recent
            if table.count > 10_000 { table = table.filter { $0.value.contains { now - $0 < window } } }
        }
    }

    /// How long the address must wait, if it is blocked.
    func blocked(_ address: String) -> Duration? {
        let now = ContinuousClock.now
        return failures.withLock { table in
            let recent = (table[address] ?? []).filter { now - $0 < window }
            table[address] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return window - (now - oldest)
        }
    }
}
