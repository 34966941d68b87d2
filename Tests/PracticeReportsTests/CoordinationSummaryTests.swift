import Foundation
import PracticeCore
import PracticeReports
import PracticeService
import PracticeStore
import PracticeTestSupport
import Testing

private let logger = TestDatabase.logger

/// Runs a tool and returns what it printed; the tests read PDFs back with poppler-utils.
func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: out) }
    let handle = try FileHandle(forWritingTo: out)
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    process.waitUntilExit()
    try handle.close()
    return (process.terminationStatus, try String(contentsOf: out, encoding: .utf8))
}

func scratch(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
}

@Suite("Coordination summary", .timeLimit(.minutes(5)))
struct CoordinationSummaryTests {
    /// The demo practice and the summary of one of its clients, addressed to a provider of a kind.
    func summary(client name: String, to kind: ProviderKind) async throws -> (CoordinationSummary, [String: Int]) {
        try await TestDatabase.withFresh { database in
            _ = try await DemoPractice.seed(database)
            try await TestDatabase.scopeToFirstPractice(database)
            return try await database.read { c in
                let practice = try await Practices.resolve(nil, on: c, logger: logger)
                let client = try await ClientRepository.list(practiceID: practice.id, search: name, on: c, logger: logger)[0]
                let provider = try await ProviderRepository.list(practiceID: practice.id, on: c, logger: logger).first { $0.kind == kind }!
                let summary = try await CoordinationSummary.load(clientID: client.id, to: provider.id, practice: practice, on: c, logger: logger)
                var counts: [String: Int] = [:]
                for try await (source, n) in try await c.query(
                    "SELECT source, count(*)::int FROM pain_reports WHERE client_id = \(client.id) GROUP BY source", logger: logger
                ).decode((String, Int).self) { counts[source] = n }
                return (summary, counts)
            }
        }
    }

    @Test func theModelMatchesTheDatabase() async throws {
        let (s, counts) = try await summary(client: "Ana Ruiz", to: .physicalTherapist)
        #expect(s.completed.count == 8 && s.baselinePain == 7 && s.latestPain == 3)
        #expect(s.painPoints.count == counts.values.reduce(0, +))
        #expect(s.prescription?.diagnosisCode == "M54.50" && s.prescription?.sessionsAuthorised == 12)
        #expect(s.coordinationNote?.body?.contains("core strengthening") == true)
        #expect(s.homeProgram?.contains("Never roll over the spine") == true)
        #expect(s.notes.first?.addenda.first?.contains("left") == true)
        #expect(s.recommendation == .continue && !s.isReferral)
        #expect(Int(s.changePercent!.rounded()) == -57)
    }

    @Test(arguments: [PDFRenderer.Paper.a4, .letter])
    func thePDFReadsBackWithTheFacts(paper: PDFRenderer.Paper) async throws {
        let (s, _) = try await summary(client: "Ana Ruiz", to: .physicalTherapist)
        let path = scratch("ana.pdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pages = try PDFRenderer.render(s, paper: paper, to: path)
        let info = try run("pdfinfo", [path]).output
        #expect(info.contains("Pages:           \(pages)") && pages >= 2)
        #expect(info.contains(paper == .a4 ? "595.28 x 841.89" : "612 x 792"))
        let text = try run("pdftotext", ["-layout", path, "-"]).output
        for fact in ["Coordination summary", "To: Jordan Pike, PT", "Client: Ana Ruiz, born 1980-04-12", "Marcus Bell, 7 years",
                     "ICD-10 M54.50", "12 sessions authorised", "chronic", "Pain 7/10 at baseline, 3/10 now (-57%)",
                     "1.5–2.5 points", "baseline 7/10", "Never roll over the spine", "Page 1 of \(pages)", "Page \(pages) of \(pages)",
                     "Recommendation: Continue"] {
            #expect(text.contains(fact), "missing: \(fact)")
        }
    }

    @Test func unicodeNamesSurviveTypesetting() async throws {
        let (s, _) = try await summary(client: "Zoë", to: .physician)
        #expect(s.client.name == "Zoë Ångström-Núñez")
        let path = scratch("zoe.pdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try PDFRenderer.render(s, paper: .a4, to: path)
        #expect(try run("pdftotext", [path, "-"]).output.contains("Zoë Ångström-Núñez"))
    }

    @Test func aReferralSummaryRecommendsTheSpineSpecialist() async throws {
        let (s, _) = try await summary(client: "Maria Rossi", to: .spineSpecialist)
        #expect(s.isReferral && s.recommendation == .referSpineSpecialist)
        #expect(s.flags.contains { $0.rule == .noImprovement && $0.severity == .firm })
        let markdown = MarkdownRenderer.render(s)
        #expect(markdown.contains("# Referral and coordination summary") && markdown.contains("Refer to a spine specialist"))
        #expect(markdown.contains("| Date | Minutes | Techniques | Pain before | Pain after |"))
        let html = HTMLRenderer.render(s)
        #expect(html.contains("<svg") && html.contains("baseline 6") && html.contains("<style>"))
        #expect(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("<link"))
    }

    @Test func theFHIRBundlePassesTheIndependentValidatorAndOurOwnRules() async throws {
        let (s, counts) = try await summary(client: "Maria Rossi", to: .spineSpecialist)
        let json = FHIRRenderer.render(s)
        let path = scratch("maria.json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        let validator = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/validate_fhir.py").path
        let result = try run("python3", [validator, path])
        #expect(result.status == 0, "\(result.output)")

        // What fhir.resources does not check.
        let bundle = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(bundle["type"] as? String == "document")
        let entries = bundle["entry"] as! [[String: Any]]
        let resources = entries.map { $0["resource"] as! [String: Any] }
        #expect(resources.first?["resourceType"] as? String == "Composition")
        let urls = entries.map { $0["fullUrl"] as! String }
        #expect(Set(urls).count == urls.count)
        func references(_ value: Any) -> [String] {
            if let object = value as? [String: Any] {
                return (object["reference"] as? String).map { [$0] } ?? object.values.flatMap(references)
            }
            if let array = value as? [Any] { return array.flatMap(references) }
            return []
        }
        let dangling = references(resources).filter { !urls.contains($0) }
        #expect(dangling.isEmpty, "\(dangling)")
        let composition = resources[0]
        let type = ((composition["type"] as! [String: Any])["coding"] as! [[String: Any]])[0]
        #expect(type["system"] as? String == "http://loinc.org" && type["code"] as? String == "57133-1")
        let observations = resources.filter { $0["resourceType"] as? String == "Observation" }
        #expect(observations.count == counts.values.reduce(0, +))
        #expect(observations.allSatisfy {
            (($0["code"] as! [String: Any])["coding"] as! [[String: Any]])[0]["code"] as? String == "72514-3"
                && ($0["valueInteger"] as? Int).map { (0...10).contains($0) } == true
        })
        #expect(resources.filter { $0["resourceType"] as? String == "Encounter" }.count == s.completed.count)
        #expect(resources.contains { $0["resourceType"] as? String == "ServiceRequest" && $0["intent"] as? String == "proposal" })
        for kind in ["Patient", "Practitioner", "Organization"] {
            #expect(resources.contains { $0["resourceType"] as? String == kind }, "\(kind)")
        }
    }

    @Test func aSummaryOfEpisodeUsesItsOwnLOINCCode() async throws {
        let (s, _) = try await summary(client: "Ana Ruiz", to: .physicalTherapist)
        let json = FHIRRenderer.render(s)
        #expect(json.contains("\"34133-9\"") && !json.contains("\"57133-1\""))
    }
}
