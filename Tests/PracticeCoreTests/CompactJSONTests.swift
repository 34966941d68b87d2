import Foundation
import PracticeCore
import Testing

/// `check --json` writes each report with `FrequencyReport.appendCompactJSON`, not the encoder:
/// the bytes must be the encoder's, for every shape a report can take.
@Suite("A report's compact JSON is the encoder's")
struct CompactJSONTests {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static func report(name: String, course: Bool, unrecorded: [Int64], message: String) throws -> FrequencyReport {
        let asOf = try CalendarDate(parsing: "2026-11-26")
        let weeks = (0..<4).map { FrequencyMetrics.WeekCount(week: IsoWeek(containing: asOf.adding(days: 7 * ($0 - 3))), visits: $0 % 3) }
        var metrics = FrequencyMetrics(
            clientID: 9_007_199_254_740_993, clientName: name, asOf: asOf, painOnset: try CalendarDate(parsing: "2026-01-31"),
            weeks: weeks, courseStart: course ? asOf.adding(days: -40) : nil, lastVisit: course ? asOf.adding(days: -3) : nil,
            sessionsInCourse: course ? 11 : 0, longestGapDays: course ? 15 : nil, baselinePain: course ? 0 : nil,
            latestPain: course ? 10 : nil, bestPainInFirstMonth: course ? 4 : nil, hasFutureBooking: course,
            nextVisit: course ? asOf.adding(days: 2) : nil, unrecordedVisits: unrecorded,
            screening: course ? .needsClearance : .notScreened, redFlags: course ? ["weight loss or fever", message] : [],
            nightPainOrLegNumbness: course)
        metrics.pressureUneased = course ? 2 : 0
        let flags = course ? [CheckFlag(rule: .courseCap, message: message), CheckFlag(rule: .redFlags, severity: .firm, message: "plain")] : []
        return FrequencyReport(metrics: metrics, flags: flags)
    }

    @Test(arguments: [
        "Ana Ruiz", "", "Zoë Ångström-Łukasiewicz 李小龙 🙂", "quote \" backslash \\ slash / a/b",
        "controls \u{0} \u{1} \u{8} \u{9} \u{A} \u{B} \u{C} \u{D} \u{1B}[31m \u{1F} \u{7F} end",
        "separators \u{2028} \u{2029} bom \u{FEFF} nfd e\u{301}",
    ])
    func theSameBytesAsTheEncoder(_ text: String) throws {
        for (course, unrecorded) in [(true, [Int64]([3, 1, 2])), (false, [Int64]()), (false, [Int64.max])] {
            let report = try Self.report(name: text, course: course, unrecorded: unrecorded, message: "msg " + text)
            var bytes: [UInt8] = []
            report.appendCompactJSON(to: &bytes)
            let expected = try Self.encoder.encode(report)
            #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
            #expect(bytes == Array(expected))
        }
    }
}
