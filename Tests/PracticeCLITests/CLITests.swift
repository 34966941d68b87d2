import Foundation
import PracticeStore
import PracticeTestSupport
import Testing

@Suite("practice CLI", .timeLimit(.minutes(5)))
struct CLITests {
    /// A practice with a therapist (id returned) on a fresh database.
    func practice() async throws -> (CLI, DatabaseURL, therapist: Int) {
        let (cli, url) = try await CLI.fresh()
        let setup = try cli.run("setup", "--name", "Riverside", "--timezone", "America/New_York", "--json")
        #expect(setup.status == 0, "\(setup.stderr)")
        let staff = try cli.run("staff", "add", "--name", "Marcus Bell", "--role", "therapist", "--msk-years", "7", "--json")
        #expect(staff.status == 0, "\(staff.stderr)")
        return (cli, url, try staff.object()["id"] as! Int)
    }

    func counts(_ url: DatabaseURL) async throws -> [String: Int] {
        try await PracticeDatabase.withDatabase(url: url, logger: TestDatabase.logger) { try await TestDatabase.rowCounts($0) }
    }

    @Test func everyEntityRoundTripsThroughTheCLI() async throws {
        let (cli, _, therapist) = try await practice()
        let provider = try cli.run("provider", "add", "--name", "Dr. Maya Chen", "--kind", "physician", "--npi", "1234567893",
                                   "--clinic", "Riverside Family Medicine", "--fax", "(555) 010-2001", "--json")
        #expect(provider.status == 0, "\(provider.stderr)")
        let providerID = try provider.object()["id"] as! Int
        let client = try cli.run("client", "add", "--name", "Zoë Ångström-Núñez", "--dob", "1989-10-25", "--pain-onset", "2026-01-05",
                                 "--phone", "(555) 010-1234", "--therapist", String(therapist), "--json")
        #expect(client.status == 0, "\(client.stderr)")
        let clientID = try client.object()["id"] as! Int

        let shown = try cli.run("client", "show", String(clientID), "--json").object()
        let shownClient = shown["client"] as! [String: Any]
        #expect(shownClient["name"] as? String == "Zoë Ångström-Núñez")
        #expect(shownClient["date_of_birth"] as? String == "1989-10-25")
        #expect(shown["pain_duration"] as? String == "chronic")
        #expect(shown["screening_state"] as? String == "not-screened")
        #expect(shown["primary_therapist"] as? String == "Marcus Bell")

        let text = try cli.run("client", "show", String(clientID))
        #expect(text.stdout.contains("pain duration: chronic"))
        #expect(text.stdout.contains("not screened yet"))

        let screening = try cli.run("screening", "record", String(clientID), "--weight-loss-or-fever", "no",
                                    "--bilateral-numbness-or-bowel-bladder", "no", "--cancer-or-major-trauma", "yes")
        #expect(screening.status == 0)
        #expect(screening.stdout.contains("needs a physician's clearance before booking"))
        #expect(try cli.run("client", "show", String(clientID), "--json").object()["may_book"] as? Bool == false)

        let clear = try cli.run("screening", "clear", String(clientID), "--provider", String(providerID), "--date", "2026-11-01", "--json")
        #expect(clear.status == 0, "\(clear.stderr)")
        #expect(try cli.run("client", "show", String(clientID), "--json").object()["screening_state"] as? String == "cleared")

        let list = try cli.run("client", "list", "--search", "ångström", "--json").json() as! [[String: Any]]
        #expect(list.map { $0["id"] as! Int } == [clientID])
        let staff = try cli.run("staff", "list", "--json").json() as! [[String: Any]]
        #expect(staff.first?["msk_years"] as? Double == 7)
        let providers = try cli.run("provider", "list", "--json").json() as! [[String: Any]]
        #expect(providers.first?["npi"] as? String == "1234567893")
        #expect(try cli.run("provider", "list").stdout.contains("Riverside Family Medicine"))
    }

    @Test func acuteClientGetsTheMedicalEvaluationWarning() async throws {
        let (cli, _, _) = try await practice()
        let onset = ISO8601DateFormatter.string(from: Date().addingTimeInterval(-5 * 86_400), timeZone: TimeZone(identifier: "America/New_York")!,
                                                formatOptions: [.withFullDate])
        let added = try cli.run("client", "add", "--name", "Grace Liu", "--dob", "1995-07-14", "--pain-onset", onset, "--json")
        let id = try added.object()["id"] as! Int
        _ = try cli.run("screening", "record", String(id), "--weight-loss-or-fever", "no", "--bilateral-numbness-or-bowel-bladder", "no",
                        "--cancer-or-major-trauma", "no", "--night-pain", "yes")
        let shown = try cli.run("client", "show", String(id))
        #expect(shown.stdout.contains("pain duration: acute"))
        #expect(shown.stderr.contains("night pain") && shown.stderr.contains("medical evaluation before massage"))
    }

    /// Each bad input: exit status ≠ 0, one line on stderr naming the field, and no row written.
    @Test("bad input is refused and writes nothing", arguments: [
        (["client", "add", "--name", "A", "--dob", "1980-13-01", "--pain-onset", "2026-01-01"], "--dob"),
        (["client", "add", "--name", "A", "--dob", "2026-02-30", "--pain-onset", "2026-01-01"], "February 2026 has 28 days"),
        (["client", "add", "--name", "A", "--dob", "12/04/1980", "--pain-onset", "2026-01-01"], "YYYY-MM-DD"),
        (["client", "add", "--name", "A", "--dob", "1980-01-01", "--pain-onset", "2999-01-01"], "--pain-onset"),
        (["client", "add", "--name", "A", "--dob", "1980-01-01"], "--pain-onset"),
        (["client", "add", "--name", "A", "--dob", "1980-01-01", "--pain-onset", "2026-01-01", "--therapist", "999"], "--therapist"),
        (["client", "add", "--name", "Ana Ruiz", "--dob", "1980-04-12", "--pain-onset", "2026-01-01"], "already exists"),
        (["client", "show", "999"], "client 999 not found"),
        (["staff", "add", "--name", "B", "--role", "therapist", "--msk-years", "99"], "--msk-years"),
        (["staff", "add", "--name", "B", "--role", "boss"], "--role"),
        (["staff", "add", "--name", "marcus bell", "--role", "therapist"], "already exists"),
        (["provider", "add", "--name", "Dr. X", "--kind", "physician", "--npi", "1234567890"], "--npi"),
        (["provider", "add", "--name", "Dr. X", "--kind", "surgeon"], "--kind"),
        (["screening", "record", "999", "--weight-loss-or-fever", "no", "--bilateral-numbness-or-bowel-bladder", "no",
          "--cancer-or-major-trauma", "no"], "client 999 not found"),
        (["screening", "record", "1", "--weight-loss-or-fever", "maybe", "--bilateral-numbness-or-bowel-bladder", "no",
          "--cancer-or-major-trauma", "no"], "--weight-loss-or-fever"),
        (["screening", "clear", "1", "--provider", "1", "--date", "2026-11-01"], "no red flag"),
        (["setup", "--name", "Riverside", "--timezone", "America/New_York"], "already exists"),
        (["setup", "--name", "Elsewhere", "--timezone", "Mars/Olympus"], "--timezone"),
        // Hostile input: control characters, a decomposed twin, impossible and far-off dates, numbers.
        (["client", "add", "--name", "Ana\u{1B}[31mRed", "--dob", "1980-01-01", "--pain-onset", "2026-01-01"], "--name: contains the control character U+001B"),
        (["client", "add", "--name=Ana\u{7}", "--dob", "1980-01-01", "--pain-onset", "2026-01-01"], "--name"),
        (["client", "add", "--name", "Ana Rui\u{7A}", "--dob", "1980-04-12", "--pain-onset", "2026-01-01", "--phone", "555\u{9B}1234"], "--phone"),
        (["client", "add", "--name", "Zoe\u{0308} Kim", "--dob", "1980-04-12", "--pain-onset", "2026-01-01"], "already exists"),
        (["client", "add", "--name", "A", "--dob", "0001-01-01", "--pain-onset", "2026-01-01"], "--dob"),
        (["client", "add", "--name", "A", "--dob", "1899-12-31", "--pain-onset", "2026-01-01"], "--dob"),
        (["appointment", "book", "1", "--therapist", "1", "--at", "9999-12-31 10:00"], "--at"),
        (["appointment", "book", "1", "--therapist", "1", "--at", "2026-12-01 24:00"], "--at"),
        (["appointment", "book", "1", "--therapist", "1", "--at", "2026-12-01 10:00", "--minutes", "1e300"], "--minutes"),
        (["appointment", "book", "1", "--therapist", "1", "--at", "2026-12-01 10:00", "--minutes", "99999999999999999999"], "--minutes"),
        (["schedule", "--therapist", "1", "--week", "0000-W01"], "--week"),
        (["staff", "add", "--name", "B", "--role", "therapist", "--msk-years", "1e300"], "--msk-years"),
    ] as [([String], String)])
    func badInput(arguments: [String], expected: String) async throws {
        let (cli, url, therapist) = try await practice()
        // Something for the duplicate and red-flag cases to collide with.
        let seed = try cli.run("client", "add", "--name", "Ana Ruiz", "--dob", "1980-04-12", "--pain-onset", "2026-01-01",
                               "--therapist", String(therapist))
        #expect(seed.status == 0)
        #expect(try cli.run("client", "add", "--name", "Zo\u{EB} Kim", "--dob", "1980-04-12", "--pain-onset", "2026-01-01").status == 0)
        _ = try cli.run("provider", "add", "--name", "Dr. Maya Chen", "--kind", "physician")
        _ = try cli.run("screening", "record", "1", "--weight-loss-or-fever", "no", "--bilateral-numbness-or-bowel-bladder", "no",
                        "--cancer-or-major-trauma", "no")
        let before = try await counts(url)
        let result = try cli.run(arguments)
        #expect(result.status == 1 || result.status == 64, "exit \(result.status)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(expected), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(try await counts(url) == before)
    }

    /// A screening recorded wrongly is corrected by a new one; the old one stays, and the hold lifts.
    @Test func aScreeningIsCorrectedNotOverwritten() async throws {
        let (cli, url, therapist) = try await practice()
        #expect(try cli.run("client", "add", "--name", "Ana Ruiz", "--dob", "1980-04-12", "--pain-onset", "2026-01-01").status == 0)
        let wrong = try cli.run("screening", "record", "1", "--weight-loss-or-fever", "yes", "--bilateral-numbness-or-bowel-bladder", "no",
                                "--cancer-or-major-trauma", "no", "--json").object()["id"] as? Int
        let at = "\(futureMonday(2)) 10:00"
        #expect(try cli.run("appointment", "book", "1", "--therapist", String(therapist), "--at", at).status == 1)
        let answers = ["--weight-loss-or-fever", "no", "--bilateral-numbness-or-bowel-bladder", "no", "--cancer-or-major-trauma", "no"]
        let id = String(try #require(wrong))
        let noReason = try cli.run(["screening", "correct", id] + answers + ["--reason", " ", "--by", String(therapist)])
        #expect(noReason.status == 1 && noReason.stderr.contains("--reason"))
        let corrected = try cli.run(["screening", "correct", id] + answers + ["--reason", "yes typed for no", "--by", String(therapist)])
        #expect(corrected.status == 0, "\(corrected.stderr)")
        #expect(try cli.run("appointment", "book", "1", "--therapist", String(therapist), "--at", at).status == 0)
        let again = try cli.run(["screening", "correct", id] + answers + ["--reason", "again", "--by", String(therapist)])
        #expect(again.status == 1 && again.stderr.contains("already corrected"))
        #expect(try await counts(url)["screenings"] == 2)
        let bidi = try cli.run("client", "add", "--name", "Ana \u{202E}ziuR", "--dob", "1980-04-12", "--pain-onset", "2026-01-01")
        #expect(bidi.status == 1 && bidi.stderr.contains("--name"))
    }

    /// Bytes that are not UTF-8 cannot even be written as a Swift string: a shell passes them.
    @Test func invalidUTF8IsRefusedNotRepaired() async throws {
        let (cli, url, _) = try await practice()
        let before = try await counts(url)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "exec \"$0\" client add --name $'Bad\\xff\\xfeName' --dob 1980-01-01 --pain-onset 2026-01-01 2>&1",
                             CLI.binary]
        process.environment = cli.processEnvironment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(output == "practice: error: --name: is not valid UTF-8 text\n")
        #expect(try await counts(url) == before)
    }

    @Test func practiceSelection() async throws {
        let (cli, _) = try await CLI.fresh()
        let none = try cli.run("client", "list")
        #expect(none.status != 0 && none.stderr.contains("practice setup"))
        let first = try cli.run("setup", "--name", "One", "--timezone", "America/New_York", "--json").object()["id"] as! Int
        let second = try cli.run("setup", "--name", "Two", "--timezone", "Europe/London", "--json").object()["id"] as! Int
        let ambiguous = try cli.run("staff", "list")
        #expect(ambiguous.status != 0 && ambiguous.stderr.contains("--practice"))
        #expect(try cli.run("staff", "add", "--name", "A", "--role", "owner", "--practice", String(second)).status == 0)
        var viaEnvironment = cli
        viaEnvironment.environment["PRACTICE_ID"] = String(first)
        #expect(try viaEnvironment.run("staff", "list", "--json").json() as? [Any] != nil)
        #expect((try viaEnvironment.run("staff", "list", "--json").json() as! [Any]).isEmpty)
        #expect((try cli.run("staff", "list", "--practice", String(second), "--json").json() as! [Any]).count == 1)
    }

    @Test func migrateTwiceChangesNothing() async throws {
        let (cli, _) = try await CLI.fresh(migrated: false)
        let refused = try cli.run("client", "list")
        #expect(refused.status != 0 && refused.stderr.contains("practice migrate"))
        let dryRun = try cli.run("migrate", "--dry-run", "--json").object()
        #expect((dryRun["pending"] as! [String]).contains("0001_foundation"))
        let first = try cli.run("migrate", "--json").object()
        #expect((first["applied"] as! [String]).contains("0001_foundation"))
        let second = try cli.run("migrate")
        #expect(second.status == 0 && second.stdout.contains("nothing to apply"))
        #expect(try cli.run("migrate", "--dry-run").stdout.contains("nothing pending"))
    }

    @Test func demoRunsTwiceWithoutDuplicating() async throws {
        let (cli, url) = try await CLI.fresh(migrated: false)
        let first = try cli.run("demo")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("Created the demo practice"))
        // Records, that is: reading the demo's check is itself recorded in the audit log.
        let before = try await counts(url).filter { $0.key != "audit_events" }
        let second = try cli.run("demo", "--json")
        #expect(try second.object()["created"] as? Bool == false)
        #expect(try await counts(url).filter { $0.key != "audit_events" } == before)
        #expect(before["clients"]! >= 20)
    }

    @Test func helpIsEverywhere() throws {
        let cli = CLI(environment: [:])
        for command in [[], ["client"], ["client", "add"], ["screening", "record"], ["db"], ["migrate"], ["demo"]] {
            let result = try cli.run(command + ["--help"])
            #expect(result.status == 0)
            #expect(result.stdout.contains("USAGE"), "\(command)")
        }
    }
}

@Suite("Embedded database", .timeLimit(.minutes(5)))
struct EmbeddedDatabaseTests {
    @Test func startStatusStopAndReuse() async throws {
        guard let scratch = ProcessInfo.processInfo.environment["PRACTICE_TEST_SCRATCH"] else {
            throw TestSetupError("PRACTICE_TEST_SCRATCH is not set: run the tests with scripts/test.sh")
        }
        let folder = "\(scratch)/embedded-\(UUID().uuidString.prefix(8))"
        let cli = CLI(environment: ["PRACTICE_DATA_DIR": folder])
        let status = try cli.run("db", "status", "--json")
        #expect(status.status == 3)
        #expect(try status.object()["state"] as? String == "not-initialised")
        defer { _ = try? cli.run("db", "stop") }

        // Any command initialises, starts and migrates the cluster on first use.
        let setup = try cli.run("setup", "--name", "Embedded", "--timezone", "Europe/London")
        #expect(setup.status == 0, "\(setup.stderr)")
        #expect(try cli.run("db", "status", "--json").object()["state"] as? String == "running")
        #expect(try cli.run("db", "stop").stdout.contains("stopped"))
        #expect(try cli.run("db", "status").status == 3)
        // …and reuses it afterwards: the practice is still there.
        let again = try cli.run("staff", "list")
        #expect(again.status == 0, "\(again.stderr)")
        let started = try cli.run("db", "start")
        #expect(started.stdout.contains("already running"))
        #expect(try cli.run("migrate").stdout.contains("nothing to apply"))
    }
}
