import ArgumentParser
import Foundation
import PracticeCore
import PracticeService

/// Options every command that works inside a practice takes.
struct PracticeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The practice to work on, when the database holds several (or set PRACTICE_ID).",
                                            valueName: "id"))
    var practice: Int64?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    var practiceID: Int64? {
        get throws {
            if let practice { return practice }
            if let value = ProcessInfo.processInfo.environment["PRACTICE_ID"], !value.isEmpty {
                guard let id = Int64(value) else {
                    throw PracticeError.invalid(field: "PRACTICE_ID", reason: "'\(value)' is not a practice id")
                }
                return id
            }
            return nil
        }
    }
}

/// Only `--json`, for commands that work outside any practice.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false
}

enum YesNo: String, ExpressibleByArgument, CaseIterable {
    case yes, no
    var bool: Bool { self == .yes }
}

/// Dates on the command line: `YYYY-MM-DD` between 1900-01-01 and 2100-12-31 (a birth date, a
/// booking, an entry). Rules about today (no future screening, bookings within two years) are the
/// service's.
func parseDate(_ text: String) throws -> CalendarDate {
    do {
        return try CalendarDate.parse(text, field: "date")
    } catch .invalid(_, let reason) {
        throw ValidationError(reason)
    }
}

func parseID(_ text: String) throws -> Int64 {
    guard let id = Int64(text), id > 0 else { throw ValidationError("'\(text)' is not an id (a positive whole number)") }
    return id
}

extension StaffRole: ExpressibleByArgument {
    public init?(argument: String) { self.init(cliName: argument) }
    public static var allValueStrings: [String] { allCases.map(\.cliName) }
}

extension ProviderKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(cliName: argument) }
    public static var allValueStrings: [String] { allCases.map(\.cliName) }
}

extension Technique: ExpressibleByArgument {
    public init?(argument: String) { self.init(cliName: argument) }
    public static var allValueStrings: [String] { allCases.map(\.cliName) }
}

extension BodyRegion: ExpressibleByArgument {
    public init?(argument: String) { self.init(cliName: argument) }
    public static var allValueStrings: [String] { allCases.map(\.cliName) }
}

extension Soreness: ExpressibleByArgument {}
extension CPTCode: ExpressibleByArgument {}
extension PressureAction: ExpressibleByArgument {}
extension LetterDirection: ExpressibleByArgument {}
extension LetterKind: ExpressibleByArgument {}

extension EvidenceRule: ExpressibleByArgument {}

/// Reads `--from-file` text, or fails naming the option.
func readTextFile(_ path: String, field: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw PracticeError.invalid(field: field, reason: "cannot read \(path)")
    }
    let text = try TextInput.decode(Array(data), field: field)
    try TextInput.check(text, field: field)
    return text
}
extension PracticeService.TableFormat: ExpressibleByArgument {}

/// Ids given as one comma-separated list, e.g. `4,8,15`: at least one, each an id, none twice.
func parseIDList(_ text: String) throws -> [Int64] {
    let ids = try text.split(separator: ",", omittingEmptySubsequences: false)
        .map { try parseID($0.trimmingCharacters(in: .whitespaces)) }
    guard !ids.isEmpty else { throw ValidationError("give at least one id") }
    guard Set(ids).count == ids.count else { throw ValidationError("an id is listed twice") }
    return ids
}
