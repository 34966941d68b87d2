import Foundation
import PracticeCore
import PracticeStore
import PracticeTestSupport
import Testing

@Suite("practice appointment complete, feedback, note, referral", .timeLimit(.minutes(5)))
struct SessionRecordsCLITests {
    struct Setup {
        var cli: CLI
        var url: DatabaseURL
        var therapist: String
        var other: String
        var physio: String
        var spine: String
        var client: String
        var appointment: String
    }

    /// A practice, a screened client and a visit that started yesterday.
    func setup() async throws -> Setup {
        let (cli, url) = try await CLI.fresh()
        #expect(try cli.run("setup", "--name", "Riverside", "--timezone", "America/New_York").status == 0)
        func id(_ result: CLI.Result) throws -> String {
            #expect(result.status == 0, "\(result.stderr)")
            return String(try result.object()["id"] as! Int)
        }
        let therapist = try id(cli.run("staff", "add", "--name", "Marcus Bell", "--role", "therapist", "--msk-years", "7", "--json"))
        let other = try id(cli.run("staff", "add", "--name", "Priya Raman", "--role", "therapist", "--json"))
        let physio = try id(cli.run("provider", "add", "--name", "Jordan Pike, PT", "--kind", "physical-therapist", "--json"))
        let spine = try id(cli.run("provider", "add", "--name", "Dr. Okafor", "--kind", "spine-specialist", "--json"))
        let client = try id(cli.run("client", "add", "--name", "Zoë Ångström-Núñez", "--dob", "1989-10-25", "--pain-onset", "2026-01-05",
                                    "--therapist", therapist, "--json"))
        #expect(try cli.run("screening", "record", client, "--weight-loss-or-fever", "no", "--bilateral-numbness-or-bowel-bladder", "no",
                            "--cancer-or-major-trauma", "no").status == 0)
        let yesterday = practiceToday().adding(days: -1)
        let booked = try cli.run("appointment", "book", client, "--therapist", therapist, "--at", "\(yesterday) 10:00", "--past", "--json")
        #expect(booked.status == 0, "\(booked.stderr)")
        let appointment = String((try booked.object()["appointments"] as! [[String: Any]])[0]["id"] as! Int)
        return Setup(cli: cli, url: url, therapist: therapist, other: other, physio: physio, spine: spine, client: client,
                     appointment: appointment)
    }

    func counts(_ url: DatabaseURL) async throws -> [String: Int] {
        try await PracticeDatabase.withDatabase(url: url, logger: TestDatabase.logger) { try await TestDatabase.rowCounts($0) }
    }

    /// The "done when": a full session from the CLI, signed, corrected, and a coordination note to the PT.
    @Test func aTherapistRecordsAFullSession() async throws {
        let s = try await setup()
        let cli = s.cli
        #expect(try cli.run("appointment", "check-in", s.appointment).status == 0)
        let eased = try cli.run("feedback", "add", s.appointment, "--region", "quadratus-lumborum", "--pressure", "6", "--discomfort", "6",
                                "--action", "eased")
        #expect(eased.status == 0 && !eased.stderr.contains("FLAG"))
        let held = try cli.run("feedback", "add", s.appointment, "--region", "lumbar-left", "--pressure", "7", "--discomfort", "7",
                               "--action", "held")
        #expect(held.status == 0 && held.stderr.contains("FLAG") && held.stderr.contains("rule pressure"))
        let listed = try cli.run("feedback", "list", s.appointment, "--json").json() as! [[String: Any]]
        #expect(listed.count == 2 && listed.filter { $0["flag"] != nil }.count == 1)

        let done = try cli.run("appointment", "complete", s.appointment, "--minutes", "38", "--technique", "swedish", "--technique",
                               "myofascial-release", "--pain-before", "6", "--pain-after", "4", "--cpt", "97140", "--fee", "95.50", "--json")
        #expect(done.status == 0, "\(done.stderr)")
        let completion = try done.object()
        #expect(completion["units"] as? Int == 3 && completion["cpt_code"] as? String == "97140")
        #expect(completion["techniques"] as? [String] == ["swedish", "myofascial_release"])

        let draft = try cli.run("note", "draft", s.appointment, "--subjective", "Pain after sitting", "--objective", "QL hypertonic",
                                "--assessment", "Improving", "--plan", "Twice weekly", "--home-program", "default", "--json")
        #expect(draft.status == 0, "\(draft.stderr)")
        let note = String(try draft.object()["id"] as! Int)
        #expect(try cli.run("note", "edit", note, "--plan", "Twice weekly, 60 minutes").status == 0)
        #expect(try cli.run("note", "sign", note, "--as", s.therapist).status == 0)
        #expect(try cli.run("note", "addendum", note, "--reason", "side", "--text", "Left QL, not right", "--as", s.therapist).status == 0)
        let shown = try cli.run("note", "show", note)
        #expect(shown.stdout.contains("SIGNED") && shown.stdout.contains("P: Twice weekly, 60 minutes"))
        #expect(shown.stdout.contains("Never roll over the spine itself") && shown.stdout.contains("side: Left QL, not right"))

        let coordination = try cli.run("referral", "add", s.client, "--direction", "outgoing", "--kind", "coordination", "--provider", s.physio,
                                       "--text", "Pain 6 → 4 after one session; please continue core work.", "--json")
        #expect(coordination.status == 0, "\(coordination.stderr)")
        let letter = String(try (coordination.object()["letter"] as! [String: Any])["id"] as! Int)
        #expect(try cli.run("referral", "send", letter).stdout.contains("now sent"))
        #expect(try cli.run("referral", "acknowledge", letter).stdout.contains("now acknowledged"))
        let letters = try cli.run("referral", "list", "--client", s.client, "--json").json() as! [[String: Any]]
        #expect(letters.count == 1 && letters[0]["status"] as? String == "acknowledged")

        #expect(try cli.run("client", "pain", s.client, "--score", "3").status == 0)

        // The chart: the session just held, and today's check with its numbers.
        let chart = try cli.run("client", "chart", s.client, "--json")
        #expect(chart.status == 0, "\(chart.stderr)")
        let sessions = try chart.object()["sessions"] as! [[String: Any]]
        #expect(sessions.map { String($0["id"] as! Int) } == [s.appointment])
        let metrics = (try chart.object()["check"] as? [String: Any])?["metrics"] as? [String: Any]
        #expect(metrics?["sessions_in_course"] as? Int == 1 && metrics?["latest_pain"] as? Int == 3)
        let text = try cli.run("client", "chart", s.client)
        #expect(text.status == 0 && text.stdout.contains("Last 1 session(s) held") && text.stdout.contains("Marcus Bell"))
        #expect(text.stdout.contains("1 session(s) in course"))
        let refused = try cli.run("client", "chart", s.client, "--sessions", "0")
        #expect(refused.status != 0 && refused.stderr.contains("sessions"))
    }

    @Test func aNoteFromAFile() async throws {
        let s = try await setup()
        #expect(try s.cli.run("appointment", "check-in", s.appointment).status == 0)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("note-\(UUID().uuidString).txt")
        try """
            S: Pain 6/10 after a long drive.
            O: Left quadratus lumborum hypertonic;
            flexion limited.
            A: Improving slowly.
            P: Twice weekly for two more weeks.
            """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let draft = try s.cli.run("note", "draft", s.appointment, "--from-file", file.path, "--json")
        #expect(draft.status == 0, "\(draft.stderr)")
        let note = try draft.object()
        #expect(note["objective"] as? String == "Left quadratus lumborum hypertonic;\nflexion limited.")
        #expect(note["plan"] as? String == "Twice weekly for two more weeks.")
        let missing = try s.cli.run("note", "edit", String(note["id"] as! Int), "--from-file", "/nonexistent/note.txt")
        #expect(missing.status != 0 && missing.stderr.contains("--from-file"))
    }

    @Test("session-record refusals write nothing", arguments: [
        (["appointment", "complete", "APPT", "--minutes", "50", "--technique", "swedish", "--pain-before", "11", "--pain-after", "4"], "--pain-before"),
        (["appointment", "complete", "APPT", "--minutes", "50", "--technique", "reiki", "--pain-before", "6", "--pain-after", "4"], "--technique"),
        (["appointment", "complete", "APPT", "--minutes", "50", "--pain-before", "6", "--pain-after", "4"], "--technique"),
        (["appointment", "complete", "APPT", "--minutes", "50", "--technique", "swedish", "--pain-before", "6", "--pain-after", "4", "--cpt", "99999"], "--cpt"),
        (["appointment", "complete", "APPT", "--minutes", "50", "--technique", "swedish", "--pain-before", "6", "--pain-after", "4", "--fee", "ninety"], "--fee"),
        (["feedback", "add", "APPT", "--region", "neck", "--pressure", "5", "--discomfort", "4", "--action", "eased"], "--region"),
        (["feedback", "add", "APPT", "--region", "glutes", "--pressure", "5", "--discomfort", "11", "--action", "eased"], "--discomfort"),
        (["feedback", "add", "APPT", "--region", "glutes", "--pressure", "7", "--discomfort", "7", "--action", "increased"], "--confirm"),
        (["note", "sign", "NOTE", "--as", "OTHER"], "only the treating therapist"),
        (["note", "addendum", "NOTE", "--reason", "r", "--text", "t", "--as", "T"], "still a draft"),
        (["note", "draft", "APPT", "--plan", "again"], "already has a note"),
        (["client", "pain", "CLIENT", "--score", "11"], "--score"),
        (["referral", "add", "CLIENT", "--direction", "incoming", "--kind", "referral", "--provider", "SPINE"], "--kind"),
        (["referral", "add", "CLIENT", "--direction", "incoming", "--kind", "prescription", "--provider", "PHYSIO"], "--provider"),
        (["referral", "add", "CLIENT", "--direction", "outgoing", "--kind", "coordination", "--provider", "PHYSIO"], "--text"),
        (["referral", "add", "CLIENT", "--direction", "outgoing", "--kind", "referral", "--provider", "SPINE", "--reason", "course-cap"], "--reason"),
        (["referral", "send", "999"], "letter 999 not found"),
    ] as [([String], String)])
    func refusals(arguments: [String], expected: String) async throws {
        let s = try await setup()
        #expect(try s.cli.run("appointment", "check-in", s.appointment).status == 0)
        let draft = try s.cli.run("note", "draft", s.appointment, "--assessment", "a", "--plan", "p", "--json")
        let note = String(try draft.object()["id"] as! Int)
        let names = ["APPT": s.appointment, "NOTE": note, "CLIENT": s.client, "T": s.therapist, "OTHER": s.other,
                     "PHYSIO": s.physio, "SPINE": s.spine]
        let before = try await counts(s.url)
        let result = try s.cli.run(arguments.map { names[$0] ?? $0 })
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(expected), "stderr: \(result.stderr)")
        #expect(try await counts(s.url) == before)
    }
}
