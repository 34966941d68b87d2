import Foundation
import PracticeCore
import Synchronization
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

    /// One line per value: for output that is streamed, or that no person reads (stdout is not a terminal).
    static var compactEncoder: JSONEncoder {
        let encoder = encoder
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

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


/// Buffered output for streamed records (the check's JSON, the frequency CSV): bytes go out in
/// 64 KiB writes as they are produced, so a report of any length is printed in the memory of
/// one record. On stdout a reader that went away is not our failure (as with `Output.write`);
/// into a file, a failed write is an error.
final class StreamWriter: Sendable {
    private let buffer = Mutex<[UInt8]>([])
    private let descriptor: Int32
    private let path: String?
    private static let chunk = 1 << 16

    /// stdout.
    init() {
        descriptor = STDOUT_FILENO
        path = nil
    }

    /// A file, opened for writing (the private temporary file `ReportFiles.writeAtomically` hands out).
    init(file: String, for path: String) throws {
        descriptor = open(file, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)
        self.path = path
        guard descriptor >= 0 else { throw PracticeError.invalid(field: "--out", reason: "cannot write \(path)") }
    }

    deinit { if path != nil { close(descriptor) } }

    func write(_ text: String) throws { try write(text.utf8) }

    func write(_ bytes: some Sequence<UInt8>) throws {
        let full = buffer.withLock { buffer -> [UInt8]? in
            buffer.append(contentsOf: bytes)
            guard buffer.count >= Self.chunk else { return nil }
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer
        }
        if let full { try send(full) }
    }

    func flush() throws {
        let rest = buffer.withLock { buffer in
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer
        }
        try send(rest)
    }

    private func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written <= 0 {
                guard let path else { return }
                throw PracticeError.invalid(field: "--out", reason: "cannot write \(path) (\(String(cString: strerror(errno))))")
            }
            offset += written
        }
    }
}
