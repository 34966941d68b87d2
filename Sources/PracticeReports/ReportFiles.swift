import Foundation
import PracticeCore

public enum ReportFiles {
    /// Writes through a temporary file in the same folder, then renames it into place, so a
    /// reader never sees half a report.
    @discardableResult
    public static func writeAtomically<T>(to path: String, _ write: (String) throws -> T) throws -> T {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw PracticeError.invalid(field: "--out", reason: "folder \(folder.path) does not exist")
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial").path
        do {
            let result = try write(temporary)
            guard rename(temporary, path) == 0 else {
                throw PracticeError.invalid(field: "--out", reason: "cannot write \(path) (errno \(errno))")
            }
            return result
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
