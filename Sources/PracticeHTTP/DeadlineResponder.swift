import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PracticeStore
import Synchronization

/// Every request ends: within `timeout`; within moments of its database connection closing
/// under it; and, once it has run for `probeAfter`, as soon as a probe finds PostgreSQL not
/// accepting connections. The router runs in a task of its own; if that task is stuck
/// (PostgresNIO can wait forever for an answer on a connection the server dropped), the client
/// gets 503 with Retry-After anyway and the task is cancelled and left behind. Nothing it did
/// is committed: a transaction on a server that is down cannot commit.
struct DeadlineResponder<Context: RequestContext>: HTTPResponder {
    let inner: any HTTPResponder<Context>
    let timeout: Duration
    /// How long a closed connection may go unanswered before the request is given up.
    let lostGrace: Duration
    /// Whether PostgreSQL accepts connections at all; nil when the server has no way to ask.
    let probe: DatabaseProbe?
    let probeAfter: Duration

    func respond(to request: Request, context: Context) async throws -> Response {
        let outcome = Outcome()
        let watch = ConnectionWatch()
        let (inner, timeout, lostGrace, probe, probeAfter) = (inner, timeout, lostGrace, probe, probeAfter)
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
                    var problem: Problem? = if ContinuousClock.now - started > timeout {
                        Problem(api: .timedOut)
                    } else if watch.lostConnection {
                        (ContinuousClock.now - (lostSince ?? .now)) >= lostGrace
                            ? Problem(.serviceUnavailable, rule: "database-unavailable",
                                      detail: "the connection to PostgreSQL was lost during the request; it was not saved unless "
                                          + "a retry says so (use the same Idempotency-Key)", retryAfter: 2)
                            : nil
                    } else { nil }
                    if problem == nil, let probe, ContinuousClock.now - started > probeAfter, !outcome.isFinished,
                       await !probe.isUp() {
                        problem = Problem(.serviceUnavailable, rule: "database-unavailable",
                                          detail: "PostgreSQL is not accepting connections; nothing was saved", retryAfter: 2)
                    }
                    if watch.lostConnection, lostSince == nil { lostSince = .now }
                    if let problem {
                        if outcome.finish(.success(problem.response)) {
                            let elapsed = ContinuousClock.now - started
                            let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
                            context.logger.warning("request given up", metadata: [
                                "method": "\(request.method.rawValue)", "route": "\(context.endpointPath ?? "unmatched")",
                                "status": "\(problem.status)", "rule": "\(problem.rule)",
                                "ms": "\(String(format: "%.1f", milliseconds))",
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

/// Asks whether PostgreSQL accepts connections, at most every quarter second however many
/// requests want to know.
public final class DatabaseProbe: Sendable {
    let check: @Sendable () async -> Bool
    let last = Mutex<(at: ContinuousClock.Instant, up: Bool)?>(nil)

    public init(_ check: @escaping @Sendable () async -> Bool) { self.check = check }

    public func isUp() async -> Bool {
        if let last = last.withLock({ $0 }), ContinuousClock.now - last.at < .milliseconds(250) { return last.up }
        let up = await check()
        last.withLock { $0 = (.now, up) }
        return up
    }
}
