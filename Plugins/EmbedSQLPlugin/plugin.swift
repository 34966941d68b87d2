import Foundation
import PackagePlugin

/// Embeds every `SQL/*.sql` migration into the target that uses this plugin; in a target that
/// holds an `openapi.yaml`, embeds that document instead (served at /openapi.yaml).
@main
struct EmbedSQLPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
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
