import Foundation
import PracticeTestSupport
import Testing

/// The release binary a server runs (deploy/build-release.sh): no Swift toolchain needed, and it
/// says which commit it is. scripts/test.sh builds it and names it in PRACTICE_RELEASE_BIN.
@Suite("The release binary")
struct ReleaseBinaryTests {
    static var binary: String {
        get throws {
            guard let path = ProcessInfo.processInfo.environment["PRACTICE_RELEASE_BIN"], !path.isEmpty else {
                throw TestSetupError("PRACTICE_RELEASE_BIN is not set: scripts/test.sh builds the release binary with deploy/build-release.sh")
            }
            return path
        }
    }

    @Test func linksNoSwiftLibrary() throws {
        let libraries = try toolOutput("ldd", [try Self.binary])
        let lines = libraries.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.count > 3, "\(libraries)")
        for line in lines {
            let lower = line.lowercased()
            #expect(!["swift", "foundation", "libicu", "dispatch", "blocksruntime"].contains { lower.contains($0) }, "\(line)")
            #expect(!line.contains("not found"), "\(line)")
            // Everything left is Debian's: the C library, cairo and pango and what they use.
            if let path = line.split(separator: "=>").last?.split(separator: " ").first, path.hasPrefix("/") {
                #expect(path.hasPrefix("/lib/") || path.hasPrefix("/usr/lib/") || path.hasPrefix("/lib64/"), "\(line)")
            }
        }
        #expect(lines.contains { $0.contains("libc.so") })
        #expect(lines.contains { $0.contains("libcairo") })
        #expect(lines.contains { $0.contains("libpango") })
    }

    @Test func printsItsVersionAndCommit() throws {
        let version = try toolOutput(try Self.binary, ["--version"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let commit = try toolOutput("git", ["-C", root.path, "rev-parse", "--short=12", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(version.hasPrefix("practice "), "\(version)")
        #expect(commit.count == 12)
        #expect(version.contains("(commit \(commit))"), "\(version) vs HEAD \(commit)")
    }
}
