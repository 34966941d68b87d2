import Foundation
import PracticeCore
#if canImport(Glibc)
import Glibc
#endif

/// Printing records: aligned text for people, JSON for scripts.
enum Output {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static func json<T: Encodable>(_ value: T) throws {
        let data = try encoder.encode(value)
        line(String(decoding: data, as: UTF8.self))
    }

    /// stdio rather than FileHandle: a closed pipe (`practice client list | head`) is not a crash.
    static func line(_ text: String = "") {
        write(text + "\n", to: STDOUT_FILENO)
    }

    /// A progress bar on a terminal: our own text, carriage returns included.
    static func progress(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// Warnings go to stderr so that stdout stays the record.
    static func warn(_ text: String) {
        write("warning: \(text)\n", to: STDERR_FILENO)
    }

    /// Unbuffered and error-tolerant: a reader that went away is not our failure. Terminal
    /// control sequences in recorded text never reach the screen (JSON escapes them itself).
    static func write(_ text: String, to descriptor: Int32) {
        let bytes = Array(TerminalText.safe(text).utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            offset += written
        }
    }

    /// A plain table with a header rule; widths follow the widest cell (by characters).
    static func table(_ header: [String], _ rows: [[String]]) {
        guard !rows.isEmpty else {
            line("(none)")
            return
        }
        let rows = rows.map { $0.map(TerminalText.cell) }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func render(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }
        line(render(header))
        line(render(widths.map { String(repeating: "-", count: $0) }))
        rows.forEach { line(render($0)) }
    }

    static func fields(_ pairs: [(String, String)]) {
        let width = pairs.map(\.0.count).max() ?? 0
        for (key, value) in pairs {
            line(key + ":" + String(repeating: " ", count: width - key.count + 1) + value)
        }
    }
}

