import Foundation
import Logging
import PracticeCore
import PracticeService
import PracticeStore
import PracticeTestSupport

let logger = TestDatabase.logger

/// A practice driven through the service by a clock the test sets: every use case at a chosen
/// instant, as a practice would have lived through it.
struct Clocked: Sendable {
    let database: PracticeDatabase
    let practice: Practice

    func at(_ date: CalendarDate, _ hour: Int, _ minute: Int = 0) -> PracticeService {
        let instant = LocalTime.resolve(date: date, hour: hour, minute: minute, timeZone: practice.timeZone).instant
        return PracticeService(database: database, context: ServiceContext(practiceID: practice.id, clock: .fixed(instant)))
    }
}

func noAnswers(redFlag: Bool = false) -> ScreeningAnswers {
    ScreeningAnswers(weightLossOrFever: false, bilateralNumbnessOrBowelBladder: false, cancerOrMajorTrauma: redFlag)
}

extension Encodable {
    var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "unencodable"
    }
}
