import Foundation
import PracticeCore
import PracticeStore
import PracticeTestSupport
import Testing

@Suite("practice appointment, schedule and check", .timeLimit(.minutes(5)))
struct SchedulingCLITests {
    struct Setup {
        var cli: CLI
        var url: DatabaseURL
        var therapist: Int
        var desk: Int
        var ana: Int
        var hugo: Int
        var monday: CalendarDate
    }

    func setup() async throws -> Setup {
        let (cli, url) = try await CLI.fresh()
        #expect(try cli.run("setup", "--name", "Riverside", "--timezone", "America/New_York").status == 0)
        let therapist = try cli.run("staff", "add", "--name", "Marcus Bell", "--role", "therapist", "--json").object()["id"] as! Int
        let desk = try cli.run("staff", "add", "--name", "Lena Ortiz", "--role", "front-desk", "--json").object()["id"] as! Int
        func client(_ name: String, cancer: String) throws -> Int {
            let id = try cli.run("client", "add", "--name", name, "--dob", "1980-04-12", "--pain-onset", "2026-01-05", "--json")
                .object()["id"] as! Int
            let screened = try cli.run("screening", "record", String(id), "--weight-loss-or-fever", "no",
                                       "--bilateral-numbness-or-bowel-bladder", "no", "--cancer-or-major-trauma", cancer)
            #expect(screened.status == 0)
            return id
        }
        return Setup(cli: cli, url: url, therapist: therapist, desk: desk, ana: try client("Ana Ruiz", cancer: "no"),
                     hugo: try client("Hugo Schmidt", cancer: "yes"), monday: futureMonday())
    }

    func counts(_ url: DatabaseURL) async throws -> [String: Int] {
        try await PracticeDatabase.withDatabase(url: url, logger: TestDatabase.logger) { try await TestDatabase.rowCounts($0) }
    }

    @Test func dischargeAndReadmitFromTheCommandLine() async throws {
        let s = try await setup()
        let booked = try s.cli.run("appointment", "book", String(s.ana), "--therapist", String(s.therapist),
                                   "--at", "\(s.monday.adding(days: 1)) 10:00", "--json").object()
        let visit = ((booked["appointments"] as! [[String: Any]])[0]["id"] as! Int)
        let before = try await counts(s.url)
        // Refusals: one line naming the reason, exit 1, nothing written.
        for (arguments, expected) in [
            (["client", "discharge", String(s.ana)], "--cancel-bookings"),
            (["client", "discharge", String(s.ana), "--date", "2099-01-01"], "--date"),
            (["client", "discharge", String(s.ana), "--reason", " ", "--cancel-bookings"], "--reason"),
            (["client", "readmit", String(s.ana)], "not discharged"),
            (["client", "discharge", "999999", "--cancel-bookings"], "client 999999 not found"),
        ] {
            let refused = try s.cli.run(arguments)
            #expect(refused.status == 1 && refused.stderr.contains(expected), "\(arguments): \(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1, "\(arguments)")
        }
        #expect(try await counts(s.url) == before)
        let discharged = try s.cli.run("client", "discharge", String(s.ana), "--reason", "goals met", "--cancel-bookings")
        #expect(discharged.status == 0 && discharged.stdout.contains("cancelled 1 booking(s): \(visit)"))
        #expect(!(try s.cli.run("client", "list").stdout.contains("Ana Ruiz")))
        #expect(try s.cli.run("client", "list", "--all").stdout.contains("discharged"))
        let check = try s.cli.run("check", "--json").object()
        #expect(!((check["clients"] as! [[String: Any]]).contains { ($0["metrics"] as! [String: Any])["client_id"] as? Int == s.ana }))
        let refused = try s.cli.run("appointment", "book", String(s.ana), "--therapist", String(s.therapist),
                                    "--at", "\(s.monday.adding(days: 2)) 10:00")
        #expect(refused.status == 1 && refused.stderr.contains("practice client readmit \(s.ana)"))
        #expect(try s.cli.run("client", "readmit", String(s.ana)).status == 0)
        #expect(try s.cli.run("appointment", "book", String(s.ana), "--therapist", String(s.therapist),
                              "--at", "\(s.monday.adding(days: 2)) 10:00").status == 0)
        // The check as of a past day, and one in the future refused.
        #expect(try s.cli.run("check", "--as-of", "2026-01-10").status != 1)
        let ahead = try s.cli.run("check", "--as-of", "2099-01-01")
        #expect(ahead.status == 1 && ahead.stderr.contains("--as-of"))
    }

    /// The front desk's month: a twice-weekly series, a move, a cancellation, the week, the check.
    @Test func aMonthOfTwiceWeeklyVisits() async throws {
        let s = try await setup()
        let cli = s.cli
        let t = String(s.therapist)
        #expect(try cli.run("staff", "hours", t, "--set", "mon-fri 09:00-17:00").status == 0)
        let series = try cli.run("appointment", "book", String(s.ana), "--therapist", t, "--at", "\(s.monday) 10:00",
                                 "--minutes", "60", "--weekly", "tue,fri", "--count", "8", "--json")
        #expect(series.status == 0, "\(series.stderr)")
        let booked = try series.object()["appointments"] as! [[String: Any]]
        #expect(booked.count == 8)
        #expect(Set(booked.map { $0["start"] as! String }) == ["10:00"])
        let ids = booked.map { $0["id"] as! Int }

        // Move the second visit to Thursday afternoon, cancel the fourth.
        let moved = try cli.run("appointment", "reschedule", String(ids[1]), "--at", "\(s.monday.adding(days: 3)) 15:00", "--json")
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(try moved.object()["start"] as? String == "15:00")
        #expect(try cli.run("appointment", "cancel", String(ids[3])).stdout.contains("cancelled 1 visit"))

        let listed = try cli.run("appointment", "list", "--client", String(s.ana), "--hide-cancelled", "--json").json() as! [[String: Any]]
        #expect(listed.count == 7)

        let week = IsoWeek(containing: s.monday).description
        let schedule = try cli.run("schedule", "--therapist", t, "--week", week)
        #expect(schedule.status == 0)
        #expect(schedule.stdout.contains("Tue \(s.monday.adding(days: 1))") && schedule.stdout.contains("10:00–11:00  Ana Ruiz"))
        #expect(schedule.stdout.contains("15:00–16:00  Ana Ruiz"))
        let slots = try cli.run("appointment", "slots", "--therapist", t, "--week", week, "--minutes", "60", "--json").json() as! [[String: Any]]
        let tuesday = slots[1]["starts"] as! [String]
        #expect(!tuesday.contains("10:00") && !tuesday.contains("10:30") && tuesday.contains("11:00") && tuesday.contains("09:00"))
        #expect((slots[5]["starts"] as! [String]).isEmpty)  // Saturday: not working

        // Nothing has happened yet: the check flags nothing and exits 0; a red flag makes it exit 2.
        let quiet = try cli.run("check", "--client", String(s.ana))
        #expect(quiet.status == 0, "\(quiet.stdout)\(quiet.stderr)")
        let all = try cli.run("check", "--json")
        #expect(all.status == 2)
        let reports = try all.object()["clients"] as! [[String: Any]]
        let hugo = try #require(reports.first { ($0["metrics"] as! [String: Any])["client_name"] as? String == "Hugo Schmidt" })
        #expect((hugo["flags"] as! [[String: Any]]).map { $0["rule"] as! String } == ["red-flags"])
    }

    @Test("booking refusals write nothing", arguments: [
        (["appointment", "book", "ANA", "--therapist", "T", "--at", "MONDAY", "--minutes", "60"], "--at"),
        (["appointment", "book", "ANA", "--therapist", "T", "--at", "MONDAY 25:00"], "--at"),
        (["appointment", "book", "ANA", "--therapist", "T", "--at", "MONDAY 10:00", "--minutes", "0"], "--minutes"),
        (["appointment", "book", "ANA", "--therapist", "T", "--at", "MONDAY 10:00", "--weekly", "tue"], "--count"),
        (["appointment", "book", "ANA", "--therapist", "T", "--at", "MONDAY 10:00", "--weekly", "tue,funday", "--count", "4"], "--weekly"),
        (["appointment", "book", "999", "--therapist", "T", "--at", "MONDAY 10:00"], "client 999 not found"),
        (["appointment", "book", "ANA", "--therapist", "DESK", "--at", "MONDAY 10:00"], "not a therapist"),
        (["appointment", "book", "ANA", "--therapist", "T", "--at", "2026-01-05 10:00"], "in the past"),
        (["appointment", "book", "ANA", "--therapist", "T", "--at", "MONDAY 09:30"], "appointment"),
        (["appointment", "book", "ANA", "--therapist", "T", "--at", "MONDAY 09:30", "--weekly", "mon,tue", "--count", "2"], "nothing was booked"),
        (["appointment", "book", "ANA", "--therapist", "T", "--at", "THURSDAY 10:00"], "weekly limit"),
        (["appointment", "book", "HUGO", "--therapist", "T", "--at", "MONDAY 14:00"], "RED FLAG"),
        (["appointment", "book", "ANA", "--therapist", "T", "--at", "THURSDAY 10:00", "--override", " "], "--override"),
        (["appointment", "complete", "FIRST", "--minutes", "60", "--technique", "swedish", "--pain-before", "6", "--pain-after", "4"], "before it starts"),
        (["appointment", "reschedule", "FIRST", "--at", "TUESDAY 09:30"], "already have appointment"),
        (["appointment", "reschedule", "FIRST", "--at", "NEXTMONDAY 09:00", "--minutes", "600"], "--minutes"),
        (["appointment", "cancel", "FIRST", "--following"], "not part of a series"),
        (["appointment", "cancel", "999"], "appointment 999 not found"),
        (["schedule", "--therapist", "T", "--week", "2026-W99"], "--week"),
        (["check", "--as-of", "2026-02-30"], "February 2026 has 28 days"),
        (["staff", "hours", "T", "--set", "mon-fri 17:00-09:00"], "--set"),
    ] as [([String], String)])
    func refusals(arguments: [String], expected: String) async throws {
        let s = try await setup()
        // Ana already has Monday 09:00–10:00 and Tuesday 09:00, so Thursday is her week's third.
        let first = try s.cli.run("appointment", "book", String(s.ana), "--therapist", String(s.therapist), "--at", "\(s.monday) 09:00", "--json")
        #expect(first.status == 0, "\(first.stderr)")
        let firstID = try (first.object()["appointments"] as! [[String: Any]])[0]["id"] as! Int
        #expect(try s.cli.run("appointment", "book", String(s.ana), "--therapist", String(s.therapist), "--at",
                              "\(s.monday.adding(days: 1)) 09:00").status == 0)
        let substitutions = [
            "ANA": String(s.ana), "HUGO": String(s.hugo), "T": String(s.therapist), "DESK": String(s.desk), "FIRST": String(firstID),
            "MONDAY": s.monday.description, "TUESDAY": s.monday.adding(days: 1).description,
            "NEXTMONDAY": s.monday.adding(days: 7).description,
            "THURSDAY": s.monday.adding(days: 3).description,
        ]
        let resolved = arguments.map { argument in
            substitutions.reduce(argument) { text, pair in
                text == pair.key || text.hasPrefix(pair.key + " ") ? pair.value + text.dropFirst(pair.key.count) : text
            }
        }
        let before = try await counts(s.url)
        let result = try s.cli.run(resolved)
        #expect(result.status != 0 && result.status != 2)
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(expected), "stderr: \(result.stderr)")
        #expect(try await counts(s.url) == before)
    }

    @Test func theDemoChecksAndShowsItsWeek() async throws {
        let (cli, _) = try await CLI.fresh(migrated: false)
        #expect(try cli.run("demo").status == 0)
        let check = try cli.run("check", "--flagged-only")
        #expect(check.status == 2)
        #expect(check.stdout.contains("[red-flags]") && check.stdout.contains("[over-scheduled]") && check.stdout.contains("[course-cap]"))
        let schedule = try cli.run("schedule", "--therapist", "2", "--week", IsoWeek(containing: futureMonday(1)).description, "--json")
        let days = try schedule.object()["days"] as! [[String: Any]]
        #expect(days.reduce(0) { $0 + ($1["appointments"] as! [Any]).count } > 0)
    }

    /// `practice audit`: writes by the database's triggers, and reads and exports by the service.
    @Test func theAuditLogListsWritesReadsAndExports() async throws {
        let (cli, _) = try await CLI.fresh(migrated: false)
        #expect(try cli.run("demo").status == 0)
        let reader = CLI(environment: cli.environment.merging(["PRACTICE_ACTOR": "auditor"]) { $1 })
        #expect(try reader.run("client", "show", "13").status == 0)
        #expect(try reader.run("report", "coordination", "13", "--to", "2", "--format", "md").status == 0)
        let listed = try cli.run("audit", "--client", "13", "--json")
        #expect(listed.status == 0, "\(listed.stderr)")
        let events = try #require(try listed.json() as? [[String: Any]])
        let mine = events.filter { $0["actor"] as? String == "cli:auditor" }
        #expect(mine.map { $0["action"] as? String } == ["read", "export"])
        #expect(mine.last?["recipient_provider_id"] as? Int == 2)
        #expect(events.contains { $0["action"] as? String == "insert" && $0["table"] as? String == "session_notes" })
        #expect(events.allSatisfy { $0["client_id"] as? Int == 13 })
        let table = try cli.run("audit", "--client", "13")
        #expect(table.stdout.contains("export") && !table.stdout.contains("Maria Rossi"))
        #expect(try cli.run("audit", "--since", "2099-01-01").stdout.contains("no events"))
        let unknown = try cli.run("audit", "--client", "999")
        #expect(unknown.status == 1 && unknown.stderr.contains("999"))
    }
}
