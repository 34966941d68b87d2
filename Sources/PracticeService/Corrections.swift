import Foundation
import PracticeCore
import PracticeStore

/// Corrections of append-only clinical facts: a new row supersedes the old, which is kept.
extension PracticeService {
    public func painHistory(clientID: Int64) async throws -> [Corrections.PainEntry] {
        try await read { unit in
            let history = try await Corrections.painHistory(clientID: clientID, practice: unit.practice, on: unit.connection,
                                                            logger: unit.logger)
            try await unit.disclose("pain_reports", clientID: clientID)
            return history
        }
    }

    public func correctPain(_ id: Int64, score: Int, reason: String, by staffID: Int64) async throws -> Corrections.Correction {
        try await write { unit in
            try await Corrections.correctPain(id, score: score, reason: reason, by: staffID, practice: unit.practice, now: unit.now,
                                              on: unit.connection, logger: unit.logger)
        }
    }

    public func correctScreening(_ id: Int64, answers: ScreeningAnswers, reason: String, by staffID: Int64) async throws -> Corrections.Correction {
        try await write { unit in
            try await Corrections.correctScreening(id, answers: answers, reason: reason, by: staffID, practice: unit.practice,
                                                   now: unit.now, on: unit.connection, logger: unit.logger)
        }
    }

    public func correctFeedback(_ id: Int64, pressure: Int?, discomfort: Int?, action: PressureAction?, reason: String,
                                by staffID: Int64) async throws -> Corrections.Correction {
        try await write { unit in
            try await Corrections.correctFeedback(id, pressure: pressure, discomfort: discomfort, action: action, reason: reason,
                                                  by: staffID, practice: unit.practice, now: unit.now, on: unit.connection,
                                                  logger: unit.logger)
        }
    }
}
