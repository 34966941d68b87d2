import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// One line per request: its id, method, route pattern (`/clients/{client_id}`, never the path
/// with its ids or the query with its search terms), status and time. Never bodies or headers.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info("request", metadata: [
            "method": "\(request.method.rawValue)",
            "route": "\(context.endpointPath ?? "unmatched")",
            "status": "\(response.status.code)",
            "ms": "\(String(format: "%.1f", milliseconds))",
        ])
        return response
    }
}

/// Bodies larger than `maxBytes` get 413, whether they say their length or not.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength], let bytes = Int(length), bytes > maxBytes {
            throw HTTPError(.contentTooLarge)
        }
        var request = request
        if request.headers[.contentLength] == nil, request.headers[.transferEncoding] != nil {
            _ = try await request.collectBody(upTo: maxBytes)
        }
        return try await next(request, context)
    }
}

/// The OpenAPI runtime writes string header values percent-encoded (`%2Fclients%2F7`); HTTP
/// clients expect `Location` and `ETag` as they are (`/clients/7`, `"9f…"`).
struct PlainHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var names: [HTTPField.Name] { [.location, .eTag, HTTPField.Name("Idempotent-Replay")].compactMap { $0 } }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        for name in Self.names {
            if let value = response.headers[name], value.contains("%"), let plain = value.removingPercentEncoding {
                response.headers[name] = plain
            }
        }
        return response
    }
}
