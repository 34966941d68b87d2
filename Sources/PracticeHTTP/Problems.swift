import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenAPIRuntime
import PracticeCore

/// Errors the HTTP face raises itself, beside the service's `PracticeError`.
enum APIError: Error, Sendable {
    case unauthenticated(String)
    case tooManyFailures(retryAfter: Duration)
    /// A write to a draft note whose `If-Match` does not name its current version.
    case preconditionFailed(String)
    /// A query parameter the generated code accepts but the contract's limits refuse.
    case badParameter(field: String, reason: String)
    case unsupportedMediaType(String)
    case timedOut
}

/// An RFC 9457 problem: the status, a short title, the sentence for a person, and where the
/// request went wrong (`field`) and which rule refused it (`rule`).
struct Problem: Encodable, Sendable {
    var type: String
    var title: String
    var status: Int
    var detail: String
    var field: String?
    var rule: String
    var retryAfter: Int?

    enum CodingKeys: String, CodingKey { case type, title, status, detail, field, rule }

    init(_ status: HTTPResponse.Status, rule: String, detail: String, field: String? = nil, retryAfter: Int? = nil) {
        self.type = "https://massagepractice.invalid/problems/\(rule)"
        self.title = status.reasonPhrase
        self.status = status.code
        self.detail = detail
        self.field = field
        self.rule = rule
        self.retryAfter = retryAfter
    }

    /// What a thrown error means to the client. Unknown errors are 500 without detail.
    init(for error: any Error) {
        switch error {
        case let error as PracticeError: self.init(practice: error)
        case let error as APIError: self.init(api: error)
        case let error as ServerError: self.init(server: error)
        case let error as any HTTPResponseError:
            let status = error.status
            let rule = status == .contentTooLarge ? "body-too-large" : status == .notFound ? "no-such-route" : "http"
            let detail = switch status {
            case .contentTooLarge: "the request body is larger than the server accepts"
            case .notFound: "there is no such route; see /openapi.yaml"
            case .methodNotAllowed: "this route does not take that method; see /openapi.yaml"
            default: status.reasonPhrase
            }
            self.init(status, rule: rule, detail: detail)
        case is CancellationError: self.init(.serviceUnavailable, rule: "timeout", detail: "the request was cancelled", retryAfter: 2)
        default: self.init(.internalServerError, rule: "internal", detail: "the server failed; the request id is in its log")
        }
    }

    init(practice error: PracticeError) {
        switch error {
        case .invalid(let field, let reason):
            self.init(.unprocessableContent, rule: "invalid-input", detail: "\(Self.apiField(field)): \(reason)",
                      field: Self.apiField(field))
        case .notFound(let entity, let id):
            self.init(.notFound, rule: "not-found", detail: "\(entity) \(id) not found")
        case .duplicate(let message):
            self.init(.conflict, rule: "duplicate", detail: message)
        case .conflict(let message):
            self.init(.conflict, rule: "conflict", detail: message)
        case .refused(let message):
            self.init(.unprocessableContent, rule: Self.rule(in: message) ?? "refused", detail: message)
        case .forbidden(let message):
            self.init(.forbidden, rule: "role", detail: message)
        case .practiceSelection(let message):
            self.init(.badRequest, rule: "practice", detail: message)
        case .database(let message):
            self.init(.internalServerError, rule: "database", detail: message)
        case .unavailable(let message):
            self.init(.serviceUnavailable, rule: "database-unavailable", detail: message, retryAfter: 2)
        }
    }

    init(api error: APIError) {
        switch error {
        case .unauthenticated(let message): self.init(.unauthorized, rule: "token", detail: message)
        case .tooManyFailures(let wait):
            let seconds = max(1, Int(wait.components.seconds) + 1)
            self.init(.tooManyRequests, rule: "failed-tokens",
                      detail: "too many failed tokens from this address; try again in \(seconds) s", retryAfter: seconds)
        case .preconditionFailed(let message): self.init(.preconditionFailed, rule: "etag", detail: message, field: "If-Match")
        case .badParameter(let field, let reason): self.init(.badRequest, rule: "invalid-parameter", detail: "\(field): \(reason)", field: field)
        case .unsupportedMediaType(let message): self.init(.unsupportedMediaType, rule: "media-type", detail: message,
                                                           field: "Content-Type")
        case .timedOut: self.init(.serviceUnavailable, rule: "timeout", detail: "the request took too long; nothing was saved",
                                  retryAfter: 2)
        }
    }

    /// The generated code refused the request before any handler ran: bad JSON, a missing or
    /// mistyped field or parameter, an unknown content type.
    init(server error: ServerError) {
        if let underlying = error.underlyingError as? PracticeError { self.init(practice: underlying); return }
        if let underlying = error.underlyingError as? APIError { self.init(api: underlying); return }
        if error.underlyingError is CancellationError { self.init(for: error.underlyingError); return }
        if let underlying = error.underlyingError as? any HTTPResponseError { self.init(for: underlying); return }
        let field = Self.field(from: error.underlyingError)
        let detail = field.map { "\($0): is missing or not valid here" } ?? error.causeDescription
        self.init(.badRequest, rule: "malformed-request", detail: detail, field: field)
        if error.underlyingError is DecodingError {
            self.detail = field.map { "\($0): is missing, of the wrong type, or not allowed here" }
                ?? "the body is not the JSON this route takes"
        }
    }

    /// The JSON path a decoding error points at, e.g. `weekly.weekdays`.
    static func field(from error: any Error) -> String? {
        guard let error = error as? DecodingError else { return nil }
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        @unknown default: return nil
        }
        let names = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return names.isEmpty ? nil : names.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    /// The service names fields as the command line spells them (`--dob`); the API's names.
    static func apiField(_ field: String) -> String {
        let renames = ["--dob": "date_of_birth", "--onset": "pain_onset", "--therapist": "therapist_id",
                       "--client": "client_id", "--to": "provider_id", "--at": "start", "--weekly": "weekly",
                       "--until": "weekly.until", "--count": "weekly.count", "--primary": "primary_therapist_id",
                       "--before": "pain_before", "--after": "pain_after", "--provider": "provider_id"]
        if let renamed = renames[field] { return renamed }
        guard field.hasPrefix("--") else { return field }
        return String(field.dropFirst(2)).replacingOccurrences(of: "-", with: "_")
    }

    /// A refusal that names its evidence rule ("[rule red-flags]") carries that rule.
    static func rule(in message: String) -> String? {
        guard let start = message.range(of: "[rule ")?.upperBound,
              let end = message[start...].firstIndex(of: "]") else { return nil }
        return String(message[start..<end])
    }

    var response: Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(self)) ?? Data("{\"status\":\(status)}".utf8)
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: HTTPResponse.Status(code: status), headers: headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Turns every error below it into problem+json; logs the status and the error's kind, never
/// its message (which may quote what a person typed).
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let contract: Contract

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // No route matched: a known path with another method is 405, naming the methods it takes.
            guard let methods = contract.methods(for: request.uri.path), !methods.isEmpty else { return Problem(for: error).response }
            var response = Problem(.methodNotAllowed, rule: "method",
                                   detail: "\(request.uri.path) takes \(methods.joined(separator: ", "))").response
            response.headers[.allow] = methods.joined(separator: ", ")
            return response
        } catch {
            let problem = Problem(for: error)
            if problem.status >= 500 {
                context.logger.error("request failed", metadata: ["status": "\(problem.status)", "rule": "\(problem.rule)",
                                                                  "error": "\(Self.kind(of: error))"])
            }
            return problem.response
        }
    }

    static func kind(of error: any Error) -> String {
        if let server = error as? ServerError { return "ServerError(\(kind(of: server.underlyingError)))" }
        if let practice = error as? PracticeError {
            return switch practice {
            case .database: "PracticeError.database"
            case .unavailable: "PracticeError.unavailable"
            default: "PracticeError"
            }
        }
        return String(describing: type(of: error))
    }
}
