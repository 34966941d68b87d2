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

func parseDate(_ text: String) throws -> CalendarDate {
    do {
        return try CalendarDate(parsing: text)
    } catch {
        throw ValidationError(error.description)
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
    do {
        return try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        throw PracticeError.invalid(field: field, reason: "cannot read \(path)")
    }
}
extension PracticeService.TableFormat: ExpressibleByArgument {}
