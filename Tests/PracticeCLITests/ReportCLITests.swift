import Foundation
import PostgresNIO
import PracticeStore
import PracticeTestSupport
import Testing

@Suite("practice report", .timeLimit(.minutes(5)))
struct ReportCLITests {
    func tool(_ name: String, _ arguments: [String]) throws -> String { try toolOutput(name, arguments) }

    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("reports-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func scalar(_ url: DatabaseURL, _ sql: PostgresQuery) async throws -> String {
        try await PracticeDatabase.withDatabase(url: url, logger: TestDatabase.logger) { database in
            try await database.transaction { c in
                // Row-level security: look at the (only) practice the test made.
                try await c.query("SELECT set_config('practice.practice_id', (SELECT min(id) FROM practices)::text, true)",
                                  logger: TestDatabase.logger)
                var value = ""
                for try await text in try await c.query(sql, logger: TestDatabase.logger).decode(String.self) { value = text }
                return value
            }
        }
    }

    @Test func practiceReportsMatchTheDatabase() async throws {
        let (cli, url) = try await CLI.fresh(migrated: false)
        #expect(try cli.run("demo").status == 0)

        let csv = try cli.run("report", "frequency", "--format", "csv")
        #expect(csv.status == 0)
        let rows = csv.stdout.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows[0].first == "client_id" && rows.count == 23)
        let maria = try #require(rows.first { $0[1] == "Maria Rossi" })
        #expect(maria[8].contains("no-improvement") && maria[9] == "refer-spine-specialist")

        let out = try folder().appendingPathComponent("frequency.md").path
        let md = try cli.run("report", "frequency", "--format", "md", "--out", out)
        #expect(md.stdout.isEmpty && md.stderr.contains("wrote"))
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("| Maria Rossi (13) |"))

        let outcomes = try cli.run("report", "outcomes", "--format", "csv").stdout
        #expect(outcomes.contains("sessions,10+ sessions,2,3.00,no extra gain"))

        // The superbill's totals are the database's.
        let bill = try cli.run("report", "superbill", "1", "--from", "2026-01-01", "--to", "2030-12-31", "--format", "csv")
        #expect(bill.status == 0, "\(bill.stderr)")
        let total = try #require(bill.stdout.split(separator: "\r\n").last?.split(separator: ",", omittingEmptySubsequences: false))
        let units = try await scalar(url, "SELECT sum(billable_units)::text FROM appointments WHERE client_id = 1 AND status = 'completed' AND cpt_code IS NOT NULL")
        let fees = try await scalar(url, "SELECT trim_scale(sum(fee))::text FROM appointments WHERE client_id = 1 AND status = 'completed' AND cpt_code IS NOT NULL")
        #expect(total[0] == "total" && String(total[4]) == units && String(total[5]) == fees)

        let pdf = try folder().appendingPathComponent("bill.pdf").path
        #expect(try cli.run("report", "superbill", "1", "--from", "2026-01-01", "--to", "2030-12-31", "--out", pdf, "--paper", "a4").status == 0)
        let text = try tool("pdftotext", ["-layout", pdf, "-"])
        for fact in ["Superbill", "NPI 1321098760", "EIN 12-3456789", "License NY-LMT-", "M54.50", "97140", "Total"] {
            #expect(text.contains(fact), "missing \(fact)")
        }
    }

    /// The check's JSON and the frequency CSV are streamed a client at a time: what arrives must
    /// be the same whole report, however it is cut.
    @Test func streamedCheckAndFrequencyReportAreWhole() async throws {
        let (cli, _) = try await CLI.fresh(migrated: false)
        #expect(try cli.run("demo").status == 0)

        // Off a terminal the check's JSON is one compact line, and it parses as one object.
        let all = try cli.run("check", "--json")
        #expect(all.status == 2, "\(all.stderr)")
        #expect(all.stdout.hasSuffix("}\n") && all.stdout.dropLast().split(separator: "\n").count == 1)
        let whole = try all.object()
        let clients = try #require(whole["clients"] as? [[String: Any]])
        let flagged = clients.filter { !(($0["flags"] as? [Any]) ?? []).isEmpty }
        #expect(clients.count > 10 && !flagged.isEmpty && flagged.count < clients.count)
        #expect(whole["flagged_clients"] as? Int == flagged.count)
        #expect(whole["as_of"] as? String != nil)

        // --flagged-only streams the flagged subset of the same check, in the same order.
        let only = try cli.run("check", "--json", "--flagged-only").object()
        let onlyClients = try #require(only["clients"] as? [[String: Any]])
        #expect(NSArray(array: onlyClients).isEqual(to: flagged))
        #expect(only["flagged_clients"] as? Int == flagged.count)

        // The text report counts the same clients.
        let text = try cli.run("check").stdout
        #expect(text.hasPrefix("Frequency check as of \(whole["as_of"] as! String): \(clients.count) active client(s), \(flagged.count) flagged"))

        // The CSV, streamed to stdout or into --out, has the check's clients in the check's order.
        let csv = try cli.run("report", "frequency", "--format", "csv")
        #expect(csv.status == 0, "\(csv.stderr)")
        let ids = csv.stdout.split(separator: "\r\n").dropFirst().map { $0.prefix { $0 != "," } }.map { Int($0) }
        #expect(ids == clients.map { ($0["metrics"] as? [String: Any])?["client_id"] as? Int })
        let out = try folder().appendingPathComponent("frequency.csv").path
        let written = try cli.run("report", "frequency", "--format", "csv", "--out", out)
        #expect(written.status == 0 && written.stdout.isEmpty && written.stderr.contains("wrote"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == csv.stdout)
        // Into a folder that does not exist: one line, nothing left behind.
        let missing = try cli.run("report", "frequency", "--format", "csv", "--out", "/nonexistent-\(UUID().uuidString)/f.csv")
        #expect(missing.status != 0 && missing.stderr.contains("--out") && missing.stdout.isEmpty)
    }

    @Test func batchSummariesOnePerClientAtomically() async throws {
        let (cli, url) = try await CLI.fresh(migrated: false)
        #expect(try cli.run("demo").status == 0)
        let exports = """
            SELECT coalesce(string_agg(client_id::text || '.pdf', ','), '')
            FROM audit_events WHERE action = 'export' AND entity = 'coordination_summary' AND recipient_provider_id IS NOT NULL
            """
        let exportedBefore = try await scalar(url, PostgresQuery(unsafeSQL: exports)).split(separator: ",").map(String.init)
        let dir = try folder()
        let result = try cli.run("report", "coordination", "--all-active", "--to-referrer", "--format", "pdf", "--out", dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        let expected = try await scalar(url, """
            SELECT count(DISTINCT c.id)::text FROM clients c JOIN referral_letters l ON l.client_id = c.id AND l.kind = 'prescription' WHERE c.active
            """)
        #expect(String(files.count) == expected)
        // Loaded over two connections (22 clients under care), every summary written is on the
        // audit log once, as an export to a provider, and no other export is.
        var exported = try await scalar(url, PostgresQuery(unsafeSQL: exports)).split(separator: ",").map(String.init)
        for earlier in exportedBefore { exported.remove(at: try #require(exported.firstIndex(of: earlier))) }
        #expect(exported.sorted() == files.sorted())
        #expect(!files.contains { $0.contains("partial") })
        #expect(files.allSatisfy { $0.hasSuffix(".pdf") })
        // Not on a terminal: one plain line per file, no progress bar.
        #expect(result.stderr.split(separator: "\n").filter { $0.hasPrefix("wrote ") }.count == files.count)
        // Named by id; no client's name in the file names or the progress lines; private files.
        let one = dir.appendingPathComponent(try #require(files.first { $0 == "13.pdf" })).path
        #expect(try tool("pdftotext", [one, "-"]).contains("Maria Rossi"))
        #expect(!result.stderr.contains("Maria") && !result.stderr.contains("rossi"))
        for file in files {
            let mode = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(file).path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file) is mode \(String(mode ?? 0, radix: 8))")
        }
        // --names puts names in the file names, and still not in the progress lines.
        let named = try folder()
        let withNames = try cli.run("report", "coordination", "--all-active", "--to-referrer", "--format", "md", "--names",
                                    "--out", named.path)
        #expect(withNames.status == 0, "\(withNames.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: named.path).contains("13-maria-rossi.md"))
        #expect(!withNames.stderr.lowercased().contains("rossi"))
        // --clients: a summary for each listed client only, and the batch refuses a client not under care.
        let listed = Array(files.map { String($0.dropLast(4)) }.sorted().prefix(3))
        let chosen = try folder()
        let some = try cli.run("report", "coordination", "--clients", listed.joined(separator: ","), "--to", "2", "--format", "md",
                               "--out", chosen.path)
        #expect(some.status == 0, "\(some.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: chosen.path).sorted() == listed.map { $0 + ".md" }.sorted())
        let empty = try folder()
        let refused = try cli.run("report", "coordination", "--clients", listed[0] + ",9999", "--to", "2", "--format", "md",
                                  "--out", empty.path)
        #expect(refused.status != 0 && refused.stderr.contains("--clients") && refused.stderr.contains("9999"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty.path).isEmpty)
        // A single report file is private too.
        let csv = named.appendingPathComponent("frequency.csv").path
        #expect(try cli.run("report", "frequency", "--format", "csv", "--out", csv).status == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: csv)[.posixPermissions] as? Int == 0o600)
    }

    @Test func theCoordinationSummaryInEveryFormat() async throws {
        let (cli, _) = try await CLI.fresh(migrated: false)
        #expect(try cli.run("demo").status == 0)
        let dir = try folder()
        let fhir = dir.appendingPathComponent("maria.json").path
        #expect(try cli.run("report", "coordination", "13", "--to", "2", "--format", "fhir", "--out", fhir).status == 0)
        let validator = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/validate_fhir.py").path
        #expect(try tool("python3", [validator, fhir]).hasPrefix("valid"))
        let md = try cli.run("report", "coordination", "13", "--to", "2", "--format", "md")
        #expect(md.stdout.contains("# Referral and coordination summary") && md.stdout.contains("Maria Rossi"))
        let html = try cli.run("report", "coordination", "13", "--to", "2", "--format", "html").stdout
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<svg"))
        let pdf = dir.appendingPathComponent("maria.pdf").path
        let written = try cli.run("report", "coordination", "13", "--to", "2", "--out", pdf)
        #expect(written.status == 0 && written.stderr.contains("page"))
        #expect(try tool("pdftotext", [pdf, "-"]).contains("Refer to a spine specialist"))
    }

    @Test("report refusals", arguments: [
        (["report", "coordination", "1", "--to", "999", "--format", "md"], "--to"),
        (["report", "coordination", "999", "--to", "1", "--format", "md"], "client 999 not found"),
        (["report", "coordination", "1", "--to", "1", "--format", "pdf"], "--out"),
        (["report", "coordination", "1", "--to", "1", "--format", "pdf", "--out", "/nonexistent-folder/x.pdf"], "--out"),
        (["report", "coordination", "--all-active", "--format", "pdf", "--out", "/tmp"], "--to-referrer"),
        (["report", "coordination", "1", "--to", "1", "--paper", "a5", "--out", "/tmp/x.pdf"], "--paper"),
        (["report", "superbill", "1", "--from", "2026-12-01", "--to", "2026-11-01", "--format", "csv"], "--to"),
        (["report", "superbill", "1", "--from", "2026-12-01", "--to", "2026-12-31", "--format", "xls"], "--format"),
    ] as [([String], String)])
    func refusals(arguments: [String], expected: String) async throws {
        let (cli, _) = try await CLI.fresh()
        #expect(try cli.run("setup", "--name", "R", "--timezone", "UTC").status == 0)
        #expect(try cli.run("provider", "add", "--name", "Dr. A", "--kind", "physician").status == 0)
        #expect(try cli.run("client", "add", "--name", "A", "--dob", "1980-01-01", "--pain-onset", "2026-01-01").status == 0)
        let result = try cli.run(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/x.pdf"))
    }
}
