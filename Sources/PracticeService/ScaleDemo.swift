import Foundation
import PracticeCore
import PracticeStore

/// `practice demo --scale`: large practices made in bulk (`BulkDemo`), for scale tests and benchmarks.
extension PracticeService {
    public struct ScalePractice: Sendable, Codable {
        public var practiceID: Int64
        public var name: String
        public var counts: BulkDemo.Counts
    }

    /// Creates a new practice named `Scale Practice …` and fills it with `clients` clients (about
    /// ten sessions each) in one transaction: all of it, or nothing. `progress` gets the work
    /// done, the total and the step's label (counts and ranges, never a name).
    public func scaleDemo(clients: Int, progress: @escaping @Sendable (Int, Int, String) -> Void) async throws -> ScalePractice {
        guard (1...10_000_000).contains(clients) else {
            throw PracticeError.invalid(field: "--scale", reason: "must be 1–10000000 clients")
        }
        var practice: Practice?
        for attempt in 1...1_000 where practice == nil {
            let name = "Scale Practice \(clients) clients" + (attempt == 1 ? "" : " #\(attempt)")
            do {
                practice = try await createPractice(NewPracticeRequest(name: name, timeZone: "America/New_York"))
            } catch PracticeError.duplicate {
                continue
            }
        }
        guard let practice else { throw PracticeError.refused("there are already 1,000 scale practices of \(clients) clients") }
        let logger = logger
        let counts = try await database.transaction { connection in
            let now = try await connection.practiceNow(practice, logger: logger)
            return try await BulkDemo.fill(practiceID: practice.id, clients: clients, now: now, actor: context.actor,
                                           on: connection, logger: logger, progress: progress)
        }
        logger.info("scale demo filled", metadata: ["practice": "\(practice.id)", "clients": "\(counts.clients)",
                                                    "sessions": "\(counts.sessions)"])
        return ScalePractice(practiceID: practice.id, name: practice.name, counts: counts)
    }
}
