import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PracticeStore
import Synchronization

/// Every request ends: within `timeout`, and within moments of its database connection closing
/// under it. The router runs in a task of its own; if that task is stuck (PostgresNIO can wait
/// forever for an answer on a connection the server dropped), the client gets 503 with
/// Retry-After anyway and the task is cancelled and left behind. Nothing it did is committed.
struct DeadlineResponder<Context: RequestContext>: HTTPResponder {
    let inner: any HTTPResponder<Context>
    let timeout: Duration
    /// How long a closed connection may go unanswered before the request is given up.
    let lostGrace: Duration

    func respond(to request: Request, context: Context) async throws -> Response {
        let outcome = Outcome()
        let watch = ConnectionWatch()
        let (inner, timeout, lostGrace) = (inner, timeout, lostGrace)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Response, any Error>) in
            outcome.start(continuation)
            let work = Task {
                do {
                    let response = try await ConnectionWatch.$current.withValue(watch) {
                        try await inner.respond(to: request, context: context)
                    }
                    outcome.finish(.success(response))
                } catch {
                    outcome.finish(.failure(error))
                }
            }
            Task {
                let started = ContinuousClock.now
                var lostSince: ContinuousClock.Instant?
                while !outcome.isFinished {
                    try? await Task.sleep(for: .milliseconds(100))
                    let problem: Problem? = if ContinuousClock.now - started > timeout {
                        Problem(api: .timedOut)
                    } else if watch.lostConnection {
                        (ContinuousClock.now - (lostSince ?? .now)) >= lostGrace
                            ? Problem(.serviceUnavailable, rule: "database-unavailable",
                                      detail: "the connection to PostgreSQL was lost during the request; it was not saved unless "
                                          + "a retry says so (use the same Idempotency-Key)", retryAfter: 2)
                            : nil
                    } else { nil }
                    if watch.lostConnection, lostSince == nil { lostSince = .now }
                    if let problem {
                        if outcome.finish(.success(problem.response)) {
                            context.logger.warning("request given up", metadata: [
                                "method": "\(request.method.rawValue)", "route": "\(context.endpointPath ?? "unmatched")",
                                "status": "\(problem.status)", "rule": "\(problem.rule)",
                            ])
                        }
                        work.cancel()
                        return
                    }
                }
            }
        }
    }

    /// The first of the router's answer and the watchdog's, once.
    final class Outcome: Sendable {
        let state = Mutex<(continuation: CheckedContinuation<Response, any Error>?, finished: Bool)>((nil, false))

        func start(_ continuation: CheckedContinuation<Response, any Error>) {
            state.withLock { $0.continuation = continuation }
        }

        var isFinished: Bool { state.withLock { $0.finished } }

        @discardableResult
        func finish(_ result: Result<Response, any Error>) -> Bool {
            let continuation = state.withLock { state -> CheckedContinuation<Response, any Error>? in
                guard !state.finished else { return nil }
                state.finished = true
                return state.continuation
            }
            continuation?.resume(with: result)
            return continuation != nil
        }
    }
}
