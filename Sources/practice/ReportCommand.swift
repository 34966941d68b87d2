import ArgumentParser
import Foundation
import PracticeCore
import PracticeReports
import PracticeStore

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Reports for doctors, physical therapists and the practice.",
        subcommands: [Coordination.self])

    enum Format: String, ExpressibleByArgument, CaseIterable { case pdf, html, md, fhir }

    struct Coordination: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A client's coordination summary for a physician or physical therapist.",
            discussion: """
                PDF (typeset with cairo + pango, A4 or US Letter, with a pain chart), self-contained HTML, \
                Markdown for email, or a FHIR R4 document Bundle. All formats come from one report model.
                Example: practice report coordination 1 --to 3 --format pdf --out ana.pdf
                """)
        @Argument(help: ArgumentHelp("The client's id.", valueName: "client"), transform: parseID) var client: Int64
        @Option(help: ArgumentHelp("The addressee's provider id.", valueName: "provider-id"), transform: parseID) var to: Int64
        @Option(help: "pdf, html, md or fhir.") var format: Format = .pdf
        @Option(help: "a4 or letter (PDF only).") var paper: String = "letter"
        @Option(help: ArgumentHelp("Where to write it (stdout when absent, except PDF).", valueName: "path")) var out: String?
        @OptionGroup var options: PracticeOptions

        func validate() throws {
            guard PDFRenderer.Paper(rawValue: paper) != nil else { throw ValidationError("--paper: '\(paper)' is not a4 or letter") }
            if format == .pdf, out == nil { throw ValidationError("--out: a PDF needs a file to go to") }
        }

        func run() async throws {
            let (client, provider) = (client, to)
            let summary = try await withPractice(options) { database, practice in
                try await database.read {
                    try await CoordinationSummary.load(clientID: client, to: provider, practice: practice, on: $0, logger: logger)
                }
            }
            switch format {
            case .pdf:
                let pages = try ReportFiles.writeAtomically(to: out!) { temporary in
                    try PDFRenderer.render(summary, paper: PDFRenderer.Paper(rawValue: paper)!, to: temporary)
                }
                Output.write("wrote \(out!) (\(pages) page\(pages == 1 ? "" : "s"))\n", to: STDERR_FILENO)
            case .html: try emit(HTMLRenderer.render(summary))
            case .md: try emit(MarkdownRenderer.render(summary))
            case .fhir: try emit(FHIRRenderer.render(summary))
            }
        }

        func emit(_ text: String) throws {
            guard let out else { return Output.write(text, to: STDOUT_FILENO) }
            try ReportFiles.writeAtomically(to: out) { temporary in
                try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            }
            Output.write("wrote \(out)\n", to: STDERR_FILENO)
        }
    }
}
