import Foundation
import PracticeCore
#if canImport(Glibc)
import Glibc
#endif

/// Report files a practice can trust: private (mode 0600, temporary file included), complete
/// or absent. Each is written to a temporary file in the same folder, flushed to disk, renamed
/// into place, and the folder flushed too, so a crash or a failed write never leaves half a
/// report or replaces a good one.
public enum ReportFiles {
    @discardableResult
    public static func writeAtomically<T>(to path: String, _ write: (String) throws -> T) throws -> T {
        let (temporary, folder) = try createTemporary(for: path)
        do {
            let result = try write(temporary)
            try commit(temporary, to: path, folder: folder)
            return result
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// The same for a report produced as it streams from the database.
    @discardableResult
    public static func writeAtomically<T>(to path: String, _ write: (String) async throws -> T) async throws -> T {
        let (temporary, folder) = try createTemporary(for: path)
        do {
            let result = try await write(temporary)
            try commit(temporary, to: path, folder: folder)
            return result
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// A private temporary file beside `path`, and the folder they share.
    static func createTemporary(for path: String) throws -> (temporary: String, folder: String) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw PracticeError.invalid(field: "--out", reason: "folder \(folder.path) does not exist")
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial").path
        // Created private before anything is written into it; never through a link.
        let created = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard created >= 0 else {
            throw PracticeError.invalid(field: "--out", reason: "cannot create a file in \(folder.path) (\(String(cString: strerror(errno))))")
        }
        close(created)
        return (temporary, folder.path)
    }

    /// Flushed, renamed into place, and the folder flushed too.
    static func commit(_ temporary: String, to path: String, folder: String) throws {
        try flush(temporary, what: path)
        guard chmod(temporary, 0o600) == 0, rename(temporary, path) == 0 else {
            throw PracticeError.invalid(field: "--out", reason: "cannot write \(path) (\(String(cString: strerror(errno))))")
        }
        try flush(folder, what: path, directory: true)
    }

    /// Writes text (Markdown, HTML, CSV, JSON) atomically.
    public static func write(_ text: String, to path: String) throws {
        try writeAtomically(to: path) { try fill($0, with: text, for: path) }
    }

    /// Writes text into the (private) temporary file `writeAtomically` hands out.
    public static func fill(_ temporary: String, with text: String, for path: String) throws {
        let descriptor = open(temporary, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw PracticeError.invalid(field: "--out", reason: "cannot write \(path)") }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else {
                throw PracticeError.invalid(field: "--out", reason: "cannot write \(path) (\(String(cString: strerror(errno))))")
            }
            offset += written
        }
    }

    static func flush(_ path: String, what: String, directory: Bool = false) throws {
        let descriptor = open(path, (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC)
        guard descriptor >= 0 else { throw PracticeError.invalid(field: "--out", reason: "cannot write \(what)") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw PracticeError.invalid(field: "--out", reason: "cannot flush \(what) to disk (\(String(cString: strerror(errno))))")
        }
    }
}
