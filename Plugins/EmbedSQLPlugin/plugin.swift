import Foundation
import PackagePlugin

/// Embeds every `SQL/*.sql` migration into the target that uses this plugin; in a target that
/// holds an `openapi.yaml`, embeds that document instead (served at /openapi.yaml); in the
/// `practice` executable, embeds the git commit it was built from (`practice --version`).
@main
struct EmbedSQLPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        if target.name == "practice" {
            // HEAD's reflog changes with every commit, checkout and reset: the commit is re-read then.
            let git = context.package.directoryURL.appending(path: ".git")
            let inputs = ["HEAD", "logs/HEAD"].map { git.appending(path: $0) }
                .filter { FileManager.default.fileExists(atPath: $0.path) }
            let output = context.pluginWorkDirectoryURL.appending(path: "BuildInfo.swift")
            return [
                .buildCommand(
                    displayName: "Recording the git commit",
                    executable: try context.tool(named: "EmbedSQL").url,
                    arguments: ["--build-info", output.path, context.package.directoryURL.path],
                    inputFiles: inputs,
                    outputFiles: [output]
                ),
            ]
        }
        let document = target.directoryURL.appending(path: "openapi.yaml")
        if FileManager.default.fileExists(atPath: document.path) {
            let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedDocument.swift")
            return [
                .buildCommand(
                    displayName: "Embedding openapi.yaml",
                    executable: try context.tool(named: "EmbedSQL").url,
                    arguments: ["--document", output.path, document.path],
                    inputFiles: [document],
                    outputFiles: [output]
                ),
            ]
        }
        let sqlDirectory = context.package.directoryURL.appending(path: "SQL")
        let files = try FileManager.default
            .contentsOfDirectory(at: sqlDirectory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) SQL migrations",
                executable: try context.tool(named: "EmbedSQL").url,
                arguments: [output.path] + files.map(\.path),
                inputFiles: files,
                outputFiles: [output]
            ),
        ]
    }
}
