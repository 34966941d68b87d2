import Foundation
import PracticeStore
import PracticeTestSupport

/// Runs the built `practice` executable as a user would, against a database of the test's own.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
        func object() throws -> [String: Any] {
            guard let object = try json() as? [String: Any] else { throw TestSetupError("not a JSON object: \(stdout)") }
            return object
        }
    }

    var environment: [String: String]

    /// A CLI bound to a fresh database (not migrated unless asked, so `migrate` itself is testable).
    static func fresh(migrated: Bool = true) async throws -> (CLI, DatabaseURL) {
        let url = try await TestDatabase.create(migrated: migrated)
        return (CLI(environment: ["DATABASE_URL": url.urlString, "PRACTICE_OWNER_URL": try TestDatabase.owner(of: url).urlString]), url)
    }

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["PRACTICE_BIN"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/practice").path
    }

    /// This process's environment without a database or practice of its own, plus the test's.
    var processEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "DATABASE_URL")
        env.removeValue(forKey: "PRACTICE_ID")
        env["PRACTICE_LOG_LEVEL"] = "error"
        env.merge(environment) { $1 }
        return env
    }

    @discardableResult
    func run(_ arguments: String...) throws -> Result { try run(arguments) }

    func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.environment = processEnvironment
        let folder = FileManager.default.temporaryDirectory
        let out = folder.appendingPathComponent("cli-\(UUID().uuidString).out")
        let err = folder.appendingPathComponent("cli-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        // Commands that write files next to the user (the demo's sample PDF) write into a scratch folder.
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return Result(status: process.terminationStatus,
                      stdout: try String(contentsOf: out, encoding: .utf8),
                      stderr: try String(contentsOf: err, encoding: .utf8))
    }
}

extension DatabaseURL {
    /// The URL with everything a child process needs (`description` hides nothing but the password).
    var urlString: String { description }
}
