import Foundation
import PracticeCore
import PracticeReports
import PracticeService
import PracticeStore
import PracticeTestSupport
import Testing

/// Reports survive any text: paragraphs taller than a page, markup, control characters.
@Suite("Reports survive any text", .timeLimit(.minutes(5)))
struct HostileTextTests {
    /// The demo's summary for Maria Rossi (notes, a prescription, referrals, a home program).
    func summary() async throws -> CoordinationSummary {
        try await TestDatabase.withFresh { database in
            _ = try await DemoPractice.seed(database)
            try await TestDatabase.scopeToFirstPractice(database)
            let practice = try await database.read { try await Practices.resolve(nil, on: $0, logger: TestDatabase.logger) }
            let service = PracticeService(database: database, context: ServiceContext(practiceID: practice.id, actorLabel: "test"))
            let maria = try await service.listClients(search: "Maria Rossi", includeDischarged: false)[0]
            let spine = try await service.listProviders().first { $0.kind == .spineSpecialist }
            return try await service.coordinationSummary(clientID: maria.id, to: try #require(spine).id)
        }
    }

    /// One paragraph of about `size` characters, no line break, ending in a marker.
    static func paragraph(_ size: Int, marker: String) -> String {
        let words = ["lumbar", "tension", "eased", "after", "myofascial", "release", "client", "reports", "walking", "better"]
        var text = ""
        text.reserveCapacity(size + 40)
        var index = 0
        while text.utf8.count < size {
            text += words[index % words.count] + " "
            index += 1
        }
        return text + marker
    }

    @Test("every printed text field breaks across pages", arguments: [3_000, 30_000, 1_000_000])
    func longParagraphsFlowOntoNewPages(size: Int) async throws {
        var s = try await summary()
        #expect(!s.notes.isEmpty && s.prescription != nil)
        // 1 MB goes into the longest field a person writes (the assessment); the other fields
        // get it at 3 kB and 30 kB, all at once.
        let everywhere = size <= 30_000
        var markers: [String] = []
        func fill(_ name: String) -> String {
            let marker = "END\(name)\(size)X"
            markers.append(marker)
            return Self.paragraph(size, marker: marker)
        }
        s.notes[0].assessment = fill("ASSESSMENT")
        if everywhere {
            s.notes[0].plan = fill("PLAN")
            s.notes[0].addenda = [fill("ADDENDUM")]
            s.prescription?.wording = fill("WORDING")
            s.homeProgram = fill("HOMEPROGRAM")
            s.addressee.lines = [fill("ADDRESS")]
        }
        let path = scratch("long-\(size).pdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let started = ContinuousClock.now
        let pages = try PDFRenderer.render(s, paper: .letter, to: path)
        let elapsed = ContinuousClock.now - started
        #expect(pages > (size >= 30_000 ? 2 : 1), "\(pages) pages")
        let info = try run("pdfinfo", [path]).output
        #expect(info.contains("Pages:           \(pages)"))
        let text = try run("pdftotext", [path, "-"]).output.replacingOccurrences(of: "\n", with: " ")
        for marker in markers {
            #expect(text.contains(marker), "\(marker) did not reach the PDF")
        }
        print("PDF with \(size)-character paragraphs: \(pages) pages in \(elapsed)")
    }

    @Test func markdownEscapesHTMLAndFHIRKeepsTheNameAsWritten() async throws {
        var s = try await summary()
        s.client.name = "Ana <script>alert(1)</script> & Co"
        s.notes[0].assessment = "<img src=x onerror=alert(1)> | pipes | and\nline"
        let markdown = MarkdownRenderer.render(s)
        #expect(!markdown.contains("<script>") && !markdown.contains("<img"))
        #expect(markdown.contains("Ana &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"))
        let html = HTMLRenderer.render(s)
        #expect(!html.contains("<script>alert") && !html.contains("<img src=x"))

        s.client.name = "Mary Ann van der Berg"
        let bundle = try #require(try JSONSerialization.jsonObject(with: Data(FHIRRenderer.render(s).utf8)) as? [String: Any])
        let entries = try #require(bundle["entry"] as? [[String: Any]])
        let patient = try #require(entries.compactMap { $0["resource"] as? [String: Any] }.first { $0["resourceType"] as? String == "Patient" })
        let names = try #require(patient["name"] as? [[String: Any]])
        #expect(names.count == 1 && names[0]["text"] as? String == "Mary Ann van der Berg")
        #expect(names[0]["family"] == nil && names[0]["given"] == nil, "family/given were guessed at a space")
    }

    @Test func csvCellsThatASpreadsheetWouldRunAreNeutralised() {
        let csv = CSV.render(["client", "change"], [["=HYPERLINK(\"http://x\")", "-12.5"], ["+1+1", "@SUM(A1)"], ["-cmd", "ok"]])
        #expect(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""))
        #expect(csv.contains(",-12.5\r\n"))
        #expect(csv.contains("'+1+1,'@SUM(A1)"))
        #expect(csv.contains("'-cmd,ok"))
    }

    @Test func terminalTextDropsControlSequences() {
        let hostile = "Ana\u{1B}]0;owned\u{07}\u{1B}[2J Ruiz\u{9B}31m\u{202E}evil\u{0}"
        let safe = TerminalText.safe(hostile)
        #expect(!safe.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E })
        #expect(safe.hasPrefix("Ana]0;owned[2J Ruiz31mevil"))
        #expect(TerminalText.safe("line one\nline\ttwo") == "line one\nline\ttwo")
        #expect(TerminalText.safe("a,b\r\nc\rd") == "a,b\r\ncd")
        #expect(TerminalText.cell("line one\nline two") == "line one line two")
    }

    @Test func aFailedWriteNeverReplacesAGoodFile() async throws {
        let s = try await summary()
        // cairo only reports a full disk in its status: the renderer must check it.
        #expect(throws: PracticeError.self) { try PDFRenderer.render(s, paper: .letter, to: "/dev/full") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("good-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let good = folder.appendingPathComponent("summary.md").path
        try ReportFiles.write("the good report\n", to: good)
        struct Failed: Error {}
        #expect(throws: Failed.self) {
            try ReportFiles.writeAtomically(to: good) { temporary in
                try ReportFiles.fill(temporary, with: "half a rep", for: good)
                throw Failed()
            }
        }
        #expect(try String(contentsOfFile: good, encoding: .utf8) == "the good report\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["summary.md"])
        #expect(try FileManager.default.attributesOfItem(atPath: good)[.posixPermissions] as? Int == 0o600)
    }
}
