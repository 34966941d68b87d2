import ArgumentParser
import Foundation
import PracticeCore
import PracticeReports
import PracticeService
import PracticeStore

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Reports for doctors, physical therapists and the practice.",
        subcommands: [Coordination.self, Frequency.self, Outcomes.self, Superbill.self])

    typealias TableFormat = PracticeService.TableFormat

    /// Writes to `--out` atomically, or to stdout.
    static func emit(_ text: String, to out: String?) throws {
        guard let out else { return Output.write(text, to: STDOUT_FILENO) }
        try ReportFiles.write(text, to: out)
        Output.write("wrote \(out)\n", to: STDERR_FILENO)
    }

    struct Frequency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "frequency", abstract: "Every active client's frequency-check flags, as CSV or Markdown.")
        @Option(help: "csv or md.") var format: TableFormat = .csv
        @Option(help: ArgumentHelp("Where to write it (default stdout).", valueName: "path")) var out: String?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let format = format
            guard format == .csv else {
                let text = try await withService(options) { try await $0.frequencyReport(format: format) }
                return try ReportCommand.emit(text, to: out)
            }
            // CSV streams, a line per client as the check produces it, to stdout or into the
            // private temporary file that becomes --out.
            @Sendable func stream(to writer: StreamWriter) async throws {
                _ = try await withService(options) { try await $0.frequencyReportCSV(write: writer.write) }
                try writer.flush()
            }
            guard let out else { return try await stream(to: StreamWriter()) }
            try await ReportFiles.writeAtomically(to: out) { try await stream(to: try StreamWriter(file: $0, for: out)) }
            Output.write("wrote \(out)\n", to: STDERR_FILENO)
        }
    }

    struct Outcomes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "outcomes",
            abstract: "Mean pain change by sessions and by pain duration, against the evidence, and per dollar of fees.")
        @Option(help: "md or csv.") var format: TableFormat = .md
        @Option(help: ArgumentHelp("Where to write it (default stdout).", valueName: "path")) var out: String?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let (report, practice) = try await withService(options) { try await $0.outcomes() }
            let text = options.json ? String(decoding: try Output.encoder.encode(report), as: UTF8.self) + "\n"
                : format == .csv ? report.csv() : report.markdown(practice: practice)
            try ReportCommand.emit(text, to: out)
        }
    }

    struct Superbill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "superbill",
            abstract: "A superbill for a client's billed visits: identifiers, CPT codes, units, fees, diagnoses, totals.")
        @Argument(help: ArgumentHelp("The client's id.", valueName: "client"), transform: parseID) var client: Int64
        @Option(help: ArgumentHelp("First service date.", valueName: "YYYY-MM-DD"), transform: parseDate) var from: CalendarDate
        @Option(help: ArgumentHelp("Last service date.", valueName: "YYYY-MM-DD"), transform: parseDate) var to: CalendarDate
        @Option(help: "pdf or csv.") var format: String = "pdf"
        @Option(help: "a4 or letter (PDF only).") var paper: PDFRenderer.Paper = .letter
        @Option(help: ArgumentHelp("Where to write it (stdout for CSV when absent).", valueName: "path")) var out: String?
        @OptionGroup var options: PracticeOptions

        func validate() throws {
            guard ["pdf", "csv"].contains(format) else { throw ValidationError("--format: '\(format)' is not pdf or csv") }
            if format == "pdf", out == nil { throw ValidationError("--out: a PDF needs a file to go to") }
        }

        func run() async throws {
            let (client, from, to) = (client, from, to)
            let bill = try await withService(options) { try await $0.superbill(clientID: client, from: from, to: to) }
            if format == "csv" { return try ReportCommand.emit(bill.csv(), to: out) }
            let out = try requiredOut(out, "a PDF needs a file to go to")
            let pages = try ReportFiles.writeAtomically(to: out) { try bill.pdf(paper: paper, to: $0) }
            Output.write("wrote \(out) (\(bill.lines.count) visit(s), \(pages) page\(pages == 1 ? "" : "s"))\n", to: STDERR_FILENO)
        }
    }

    enum Format: String, ExpressibleByArgument, CaseIterable { case pdf, html, md, fhir }

    struct Coordination: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "coordination",
            abstract: "A client's coordination summary for a physician or physical therapist.",
            discussion: """
                PDF (typeset with cairo + pango, A4 or US Letter, with a pain chart), self-contained HTML, \
                Markdown for email, or a FHIR R4 document Bundle. All formats come from one report model.
                Example: practice report coordination 1 --to 3 --format pdf --out ana.pdf
                """)
        @Argument(help: ArgumentHelp("The client's id (or --all-active, or --clients).", valueName: "client"), transform: parseID) var client: Int64?
        @Option(help: ArgumentHelp("The addressee's provider id.", valueName: "provider-id"), transform: parseID) var to: Int64?
        @Flag(name: .customLong("all-active"), help: "One summary per active client, into the folder --out.") var allActive = false
        @Option(name: .customLong("clients"), help: ArgumentHelp(
            "One summary per listed client (comma-separated ids, each under care), into the folder --out.", valueName: "id,id,…"),
                transform: parseIDList) var clientList: [Int64]?
        @Flag(name: .customLong("to-referrer"), help: "Address each summary to the client's prescriber (with --all-active or --clients).")
        var toReferrer = false
        @Option(help: "pdf, html, md or fhir.") var format: Format = .pdf
        @Option(help: "a4 or letter (PDF only).") var paper: PDFRenderer.Paper = .letter
        @Flag(help: "With --all-active or --clients: put each client's name in the file name too (files are named by client id).")
        var names = false
        @Option(help: ArgumentHelp("Where to write it (stdout when absent, except PDF; a folder with --all-active or --clients).", valueName: "path"))
        var out: String?
        @OptionGroup var options: PracticeOptions

        func validate() throws {
            if allActive || clientList != nil {
                let batch = allActive ? "--all-active" : "--clients"
                guard !(allActive && clientList != nil) else { throw ValidationError("give --all-active or --clients, not both") }
                guard client == nil else { throw ValidationError("give a client or \(batch), not both") }
                guard (to == nil) != !toReferrer else { throw ValidationError("\(batch) needs --to-referrer or --to PROVIDER") }
                guard out != nil else { throw ValidationError("--out: \(batch) writes into a folder; name it") }
                return
            }
            guard client != nil else { throw ValidationError("give a client id, or --all-active") }
            guard to != nil else { throw ValidationError("--to: name the addressee's provider id") }
            guard !toReferrer else { throw ValidationError("--to-referrer goes with --all-active or --clients") }
            if format == .pdf, out == nil { throw ValidationError("--out: a PDF needs a file to go to") }
        }

        func run() async throws {
            if allActive || clientList != nil { return try await batch() }
            guard let client, let provider = to else {
                throw PracticeError.invalid(field: "--to", reason: "give a client and --to PROVIDER, or --all-active")
            }
            let summary = try await withService(options) { try await $0.coordinationSummary(clientID: client, to: provider) }
            switch format {
            case .pdf:
                let out = try requiredOut(out, "a PDF needs a file to go to")
                let pages = try ReportFiles.writeAtomically(to: out) { temporary in
                    try PDFRenderer.render(summary, paper: paper, to: temporary)
                }
                Output.write("wrote \(out) (\(pages) page\(pages == 1 ? "" : "s"))\n", to: STDERR_FILENO)
            case .html: try emit(HTMLRenderer.render(summary))
            case .md: try emit(MarkdownRenderer.render(summary))
            case .fhir: try emit(FHIRRenderer.render(summary))
            }
        }

        /// One summary per active client, rendered on every core, each written atomically.
        func batch() async throws {
            let folder = URL(fileURLWithPath: try requiredOut(out, "--all-active writes into a folder"))
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
                throw PracticeError.invalid(field: "--out", reason: "\(folder.path) is not a folder")
            }
            let (fixed, only, format, paper, names) = (to, clientList, format, paper, names)
            // Loading (the database's work) and rendering (ours) overlap: each summary is rendered,
            // on every core, as soon as it is loaded, while the next one loads.
            let (loaded, arrivals) = AsyncStream.makeStream(of: CoordinationSummary.self)
            let totals = AsyncStream.makeStream(of: Int.self)
            let loader = Task {
                defer {
                    arrivals.finish()
                    totals.continuation.finish()
                }
                return try await withService(options) { service in
                    try await service.batchSummaries(to: fixed, only: only, begin: { totals.continuation.yield($0) }) { arrivals.yield($1) }
                }
            }
            // The count comes first (none if the loading failed before it: the error follows).
            var counts = totals.stream.makeAsyncIterator()
            let total = await counts.next() ?? 0
            let terminal = isatty(STDERR_FILENO) == 1
            var done = 0
            do {
                try await withThrowingTaskGroup(of: String.self) { group in
                    func finished(_ path: String) {
                        done += 1
                        // Progress never carries a client's name: only the count, or the file (named by id).
                        if terminal {
                            let filled = total == 0 ? 30 : done * 30 / total
                            Output.progress("\r[\(String(repeating: "#", count: filled))\(String(repeating: " ", count: 30 - filled))] \(done)/\(total)")
                        } else {
                            Output.write("wrote \(names ? "a summary (file name withheld: it holds a name)" : path)\n", to: STDERR_FILENO)
                        }
                    }
                    var running = 0
                    for await summary in loaded {
                        if running >= max(1, ProcessInfo.processInfo.activeProcessorCount), let path = try await group.next() {
                            finished(path)
                            running -= 1
                        }
                        running += 1
                        group.addTask {
                            // Named by id: file names show up in listings, backups and logs. --names adds the name.
                            let slug = names ? "-" + summary.client.name.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined() : ""
                            let path = folder.appendingPathComponent("\(summary.client.id)\(slug).\(format == .md ? "md" : format.rawValue == "fhir" ? "json" : format.rawValue)").path
                            try ReportFiles.writeAtomically(to: path) { temporary in
                                switch format {
                                case .pdf: _ = try PDFRenderer.render(summary, paper: paper, to: temporary)
                                case .html: try ReportFiles.fill(temporary, with: HTMLRenderer.render(summary), for: path)
                                case .md: try ReportFiles.fill(temporary, with: MarkdownRenderer.render(summary), for: path)
                                case .fhir: try ReportFiles.fill(temporary, with: FHIRRenderer.render(summary), for: path)
                                }
                            }
                            return path
                        }
                    }
                    while let path = try await group.next() { finished(path) }
                }
            } catch {
                loader.cancel()
                throw error
            }
            let skipped = try await loader.value.map { "client \($0.clientID): \($0.reason)" }
            if terminal { Output.write("\n", to: STDERR_FILENO) }
            skipped.forEach { Output.warn("skipped " + $0) }
            Output.line("wrote \(done) summar\(done == 1 ? "y" : "ies") to \(folder.path)")
        }

        func emit(_ text: String) throws {
            guard let out else { return Output.write(text, to: STDOUT_FILENO) }
            try ReportFiles.write(text, to: out)
            Output.write("wrote \(out)\n", to: STDERR_FILENO)
        }
    }
}

extension PDFRenderer.Paper: ExpressibleByArgument {}

/// `--out`, which `validate()` has already required where it must be given.
func requiredOut(_ out: String?, _ reason: String) throws -> String {
    guard let out else { throw PracticeError.invalid(field: "--out", reason: reason) }
    return out
}
