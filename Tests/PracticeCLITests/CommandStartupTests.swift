import Foundation
import Testing

/// A command line's fixed cost. Swift Argument Parser names a command without an explicit
/// `commandName` by `String(describing:)` of its type, a dynamic cast that scans every protocol
/// conformance in the binary once per command type: in this binary (HTTP server, OpenAPI types,
/// NIO, Foundation) that was a third of `practice --version`'s time, paid by every command.
@Suite("Command start-up")
struct CommandStartupTests {
    @Test func everyCommandNamesItself() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/practice")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        var configurations = 0
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            var rest = text[...]
            while let range = rest.range(of: "CommandConfiguration(") {
                configurations += 1
                let arguments = rest[range.upperBound...].drop { $0.isWhitespace }
                let line = text[..<range.lowerBound].filter { $0 == "\n" }.count + 1
                #expect(arguments.hasPrefix("commandName:"), "\(file):\(line): a CommandConfiguration without commandName")
                rest = rest[range.upperBound...]
            }
        }
        #expect(configurations > 40, "found \(configurations) command configurations in \(folder.path)")
    }
}
