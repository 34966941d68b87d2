import Logging
import PostgresNIO
import PracticeCore
import PracticeService
import PracticeStore
import PracticeTestSupport
import Testing

private let logger = TestDatabase.logger

@Suite("Migrations", .timeLimit(.minutes(5)))
struct MigrationTests {
    @Test func applyingTwiceChangesNothing() async throws {
        let url = try TestDatabase.owner(of: try await TestDatabase.create(migrated: false))
        try await PracticeDatabase.withDatabase(url: url, logger: logger) { database in
            let pendingBefore = try await database.read { try await Migrator.pending(on: $0, logger: logger) }
            #expect(pendingBefore.map(\.version) == Migrator.all.map(\.version))
            let first = try await Migrator.migrate(database)
            #expect(first.count == Migrator.all.count)
            let second = try await Migrator.migrate(database)
            #expect(second.isEmpty)
            let pendingAfter = try await database.read { try await Migrator.pending(on: $0, logger: logger) }
            #expect(pendingAfter.isEmpty)
        }
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
        let url = try TestDatabase.owner(of: try await TestDatabase.create(migrated: false))
        let applied = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await PracticeDatabase.withDatabase(url: url, logger: logger) { try await Migrator.migrate($0).count }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(applied == Migrator.all.count)
        try await PracticeDatabase.withDatabase(url: url, logger: logger) { database in
            let rows = try await database.read { connection in
                try await connection.query("SELECT count(*)::int FROM schema_migrations", logger: logger).decode(Int.self)
                    .reduce(0, +)
            }
            #expect(rows == Migrator.all.count)
        }
    }
}

@Suite("Store round trips and database invariants", .timeLimit(.minutes(5)))
struct StoreTests {
    func newClient(_ name: String, therapist: Int64? = nil) throws -> NewClient {
        try TestPractice.newClient(name, therapist: therapist)
    }

    func newClient(_ name: String, phone: String?, email: String?) throws -> NewClient {
        var client = try TestPractice.newClient(name)
        (client.phone, client.email) = (phone, email)
        return client
    }

    @Test func practiceCarriesTheDefaultPolicy() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            #expect(f.practice.policy == .cochrane2015)
            #expect(f.practice.timeZone == "America/New_York")
            let resolved = try await database.read { try await Practices.resolve(nil, on: $0, logger: logger) }
            #expect(resolved.id == f.practice.id)
        }
    }

    @Test func practiceSelection() async throws {
        try await TestDatabase.withFresh { database in
            await #expect(throws: PracticeError.self) {
                try await database.read { try await Practices.resolve(nil, on: $0, logger: logger) }
            }
            _ = try await TestPractice.create(database)
            let second = try await database.transaction {
                try await Practices.create(name: "Second", timeZone: "Europe/London", on: $0, logger: logger)
            }
            do {
                _ = try await database.read { try await Practices.resolve(nil, on: $0, logger: logger) }
                Issue.record("expected a choice to be required")
            } catch let PracticeError.practiceSelection(message) {
                #expect(message.contains("--practice"))
            }
            let picked = try await database.read { try await Practices.resolve(second.id, on: $0, logger: logger) }
            #expect(picked.name == "Second")
        }
    }

    @Test func clientRoundTripAndSearch() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let added = try await database.transaction {
                try await ClientRepository.add(try newClient("Zoë Ångström-Núñez", therapist: f.therapist.id),
                                               practiceID: f.practice.id, on: $0, logger: logger)
            }
            let fetched = try await database.read { try await ClientRepository.get(added.id, practiceID: f.practice.id, on: $0, logger: logger) }
            #expect(fetched == added)
            #expect(fetched.name == "Zoë Ångström-Núñez")
            #expect(fetched.painOnset.description == "2026-01-10")
            #expect(fetched.primaryTherapistID == f.therapist.id)
            let hits = try await database.read { try await ClientRepository.list(practiceID: f.practice.id, search: "ångström", on: $0, logger: logger) }
            #expect(hits.map(\.id) == [added.id])
            let misses = try await database.read { try await ClientRepository.list(practiceID: f.practice.id, search: "100%", on: $0, logger: logger) }
            #expect(misses.isEmpty)
        }
    }

    /// Search goes through client_search_grams (0014) for three characters or more; it must find
    /// exactly what ILIKE over every client finds, after edits too.
    @Test func searchFindsWhatAFullScanFinds() async throws {
        try await TestDatabase.withFresh { database in
            let other = try await TestPractice.create(database, name: "Other")
            _ = try await database.transaction {
                try await ClientRepository.add(try newClient("Zoë Decoy", phone: "0170 555 0101", email: "zoe@example.org"),
                                               practiceID: other.practice.id, on: $0, logger: logger)
            }
            let f = try await TestPractice.create(database)
            let people: [(String, String?, String?)] = [
                ("Zoë Ångström-Núñez", "0170 555 0101", "zoe.angstrom@example.org"),
                ("ZOË ÅNGSTRÖM", "+49 (30) 1234-5678", "ZA@Example.ORG"),
                ("Øyvind Østergård", nil, "oyvind_100%@mail.no"),
                ("Anna-Lena O'Brien", "555-0101", nil),
                ("Li Na", "(030) 555 0101", "li.na@example.com"),
                ("İsmail Işık", "0541 000 00 00", "ismail@örnek.tr"),
            ]
            var ids: [Int64] = []
            for (name, phone, email) in people {
                ids.append(try await database.transaction {
                    try await ClientRepository.add(try newClient(name, phone: phone, email: email), practiceID: f.practice.id,
                                                   on: $0, logger: logger).id
                })
            }
            // An edit: the old email's pieces go, the new ones come.
            try await database.transaction {
                try await $0.run("UPDATE clients SET email = 'lina.new@sample.net', name = 'Li Na Wang' WHERE id = \(ids[4])",
                                 logger: logger)
            }
            // The oracle: ILIKE over every client of the practice, as before 0014.
            func scan(_ text: String) async throws -> [Int64] {
                let pattern = "%" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_") + "%"
                return try await database.read { connection in
                    try await connection.query("""
                        SELECT id FROM clients WHERE practice_id = \(f.practice.id)
                          AND (name ILIKE \(pattern) OR phone ILIKE \(pattern) OR email ILIKE \(pattern)) ORDER BY name, id
                        """, logger: logger).decode(Int64.self).reduce(into: [Int64]()) { $0.append($1) }
                }
            }
            var texts = ["zoë", "ZOË ÅN", "ström", "STRÖM-N", "555 0101", "0101", "555-0101", "(030)", "example.org", "EXAMPLE",
                         "_100%", "100%", "o'b", "O'BRIEN", "li na", "lina.new", "li.na@example.com", "sample", "ışık", "İsm",
                         "ismail@örnek", "zz", "Ø", "na", "a", "-", "nothing like it", "zoe@example.org"]
            for (name, phone, email) in people {
                for field in [name, phone, email].compactMap({ $0 }) {
                    let scalars = Array(field.unicodeScalars)
                    for start in stride(from: 0, to: scalars.count, by: 3) {
                        var piece = String.UnicodeScalarView()
                        piece.append(contentsOf: scalars[start..<min(scalars.count, start + 5)])
                        texts.append(String(piece))
                        texts.append(String(piece).uppercased())
                    }
                }
            }
            var found = 0
            for text in texts {
                let expected = try await scan(text)
                let hits = try await database.read {
                    try await ClientRepository.list(practiceID: f.practice.id, search: text, on: $0, logger: logger)
                }
                #expect(hits.map(\.id) == expected, "search \(text.debugDescription)")
                found += expected.count
            }
            #expect(found > texts.count, "the searches should find clients, not only agree on nothing")
            #expect(try await scan("li.na@example.com").isEmpty)
            #expect(try await scan("lina.new").count == 1)
            // The app role reads the pieces but cannot change or delete them.
            for sql in ["DELETE FROM client_search_grams", "UPDATE client_search_grams SET gram = 'x'"] {
                await #expect(throws: (any Error).self, "\(sql)") {
                    try await database.transaction { _ = try await $0.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
                }
            }
        }
    }

    /// PostgresNIO delivers an error raised while a SELECT runs on its row sequence; a caller that
    /// drops the rows never sees it, and the aborted transaction's COMMIT answers ROLLBACK.
    @Test func aTransactionAbortedByAnUnseenErrorIsNeverReportedSaved() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let outcome: String? = await {
                do {
                    try await database.transaction {
                        _ = try await ClientRepository.add(try newClient("Unsaved Client"), practiceID: f.practice.id, on: $0, logger: logger)
                        try await $0.query("SELECT x / 0 FROM generate_series(1, 1) AS x", logger: logger)  // rows dropped
                    }
                    return nil
                } catch { return String(describing: error) }
            }()
            #expect(outcome?.contains("rolled back") == true, "\(outcome ?? "reported saved")")
            let clients = try await database.read { try await ClientRepository.list(practiceID: f.practice.id, on: $0, logger: logger) }
            #expect(clients.isEmpty)
            // Run to its end, the same statement's error is the caller's.
            await #expect(throws: (any Error).self) {
                try await database.transaction { try await $0.run("SELECT x / 0 FROM generate_series(1, 1) AS x", logger: logger) }
            }
        }
    }

    @Test func duplicateClientIsADomainError() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            _ = try await database.transaction { try await ClientRepository.add(try newClient("Ana Ruiz"), practiceID: f.practice.id, on: $0, logger: logger) }
            await #expect(throws: PracticeError.duplicate("a client with that name and date of birth already exists in this practice")) {
                try await database.transaction { try await ClientRepository.add(try newClient("ANA RUIZ"), practiceID: f.practice.id, on: $0, logger: logger) }
            }
        }
    }

    @Test func primaryTherapistMustBeATherapistEvenInSQL() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            await #expect(throws: PracticeError.invalid(field: "--therapist", reason: "staff member \(f.frontDesk.id) is front-desk, not a therapist")) {
                try await database.transaction {
                    try await ClientRepository.add(try newClient("Ana Ruiz", therapist: f.frontDesk.id), practiceID: f.practice.id, on: $0, logger: logger)
                }
            }
            // Past the Swift check, the composite foreign key still refuses.
            await #expect(throws: PracticeError.invalid(field: "--therapist", reason: "refers to a record that does not exist in this practice")) {
                try await database.transaction { c in
                    _ = try await c.query("""
                        INSERT INTO clients (practice_id, name, date_of_birth, pain_onset, primary_therapist_id)
                        VALUES (\(f.practice.id), 'X', '1980-01-01', '2026-01-01', \(f.frontDesk.id))
                        """, logger: logger)
                }
            }
        }
    }

    @Test func screeningGateAndClearance() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let p = f.practice
            let client = try await database.transaction { try await ClientRepository.add(try newClient("Hugo Schmidt"), practiceID: p.id, on: $0, logger: logger) }
            var profile = try await database.read { try await ClientProfile.load(clientID: client.id, practice: p, on: $0, logger: logger) }
            #expect(profile.screeningState == .notScreened && !profile.mayBook)

            // Clearing without a red flag is refused.
            await #expect(throws: PracticeError.self) {
                try await database.transaction { try await ScreeningRepository.clear(clientID: client.id, providerID: f.physician.id,
                                                                                     date: CalendarDate(parsing: "2026-11-20"), note: nil,
                                                                                     practiceID: p.id, on: $0, logger: logger) }
            }
            let answers = ScreeningAnswers(weightLossOrFever: true, bilateralNumbnessOrBowelBladder: false, cancerOrMajorTrauma: false)
            _ = try await database.transaction { try await ScreeningRepository.record(clientID: client.id, answers: answers, screenedBy: f.frontDesk.id,
                                                                                      practiceID: p.id, on: $0, logger: logger) }
            profile = try await database.read { try await ClientProfile.load(clientID: client.id, practice: p, on: $0, logger: logger) }
            #expect(profile.screeningState == .needsClearance && !profile.mayBook)

            // A physical therapist cannot clear red flags; the database's own key says so too.
            await #expect(throws: PracticeError.self) {
                try await database.transaction { try await ScreeningRepository.clear(clientID: client.id, providerID: f.physio.id,
                                                                                     date: CalendarDate(parsing: "2026-11-20"), note: nil,
                                                                                     practiceID: p.id, on: $0, logger: logger) }
            }
            let clearance = try await database.transaction {
                try await ScreeningRepository.clear(clientID: client.id, providerID: f.physician.id, date: CalendarDate(parsing: "2026-11-20"),
                                                    note: "ruled out infection", practiceID: p.id, on: $0, logger: logger)
            }
            profile = try await database.read { try await ClientProfile.load(clientID: client.id, practice: p, on: $0, logger: logger) }
            #expect(profile.screeningState == .cleared && profile.mayBook)
            #expect(profile.clearance == clearance)
        }
    }

    @Test func databaseRefusesWhatSwiftWouldRefuse() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let p = f.practice.id
            let client = try await database.transaction { try await ClientRepository.add(try newClient("Ana Ruiz"), practiceID: p, on: $0, logger: logger) }
            // Scores out of range: CHECK.
            await #expect(throws: PracticeError.self) {
                try await database.transaction { c in
                    _ = try await c.query("""
                        INSERT INTO pain_reports (practice_id, client_id, source, score, reported_at)
                        VALUES (\(p), \(client.id), 'self_reported', 11, now())
                        """, logger: logger)
                }
            }
            // Two live appointments at once for one therapist: exclusion constraint, SQLSTATE 23P01.
            let other = try await database.transaction { try await ClientRepository.add(try newClient("Ben Okoro"), practiceID: p, on: $0, logger: logger) }
            let insert: @Sendable (Int64, String) async throws -> Void = { clientID, status in
                try await database.transaction { c in
                    _ = try await c.query("""
                        INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, status, cancelled_at)
                        VALUES (\(p), \(clientID), \(f.therapist.id), '2026-12-01 15:00Z', '2026-12-01 16:00Z', \(status),
                                CASE WHEN \(status) = 'cancelled' THEN now() END)
                        """, logger: logger)
                }
            }
            try await insert(client.id, "booked")
            await #expect(throws: PracticeError.conflict("the therapist already has an appointment at that time")) {
                try await insert(other.id, "booked")
            }
            // A cancelled appointment does not hold the slot.
            try await insert(other.id, "cancelled")
        }
    }

    @Test func signedNotesAndAddendaCannotChangeEvenInSQL() async throws {
        try await TestDatabase.withFresh { database in
            let f = try await TestPractice.create(database)
            let p = f.practice.id
            let client = try await database.transaction { try await ClientRepository.add(try newClient("Ana Ruiz"), practiceID: p, on: $0, logger: logger) }
            let (note, addendum) = try await database.transaction { c in
                _ = try await ScreeningRepository.record(clientID: client.id, answers: ScreeningAnswers(
                    weightLossOrFever: false, bilateralNumbnessOrBowelBladder: false, cancerOrMajorTrauma: false),
                    screenedBy: nil, practiceID: p, on: c, logger: logger)
                let yesterday = try await c.practiceNow(f.practice, logger: logger).today.adding(days: -1)
                let booked = try await Scheduling.book(BookingRequest(
                    clientID: client.id, therapistID: f.therapist.id,
                    at: LocalDateTime(date: yesterday, time: try TimeOfDay(hour: 10, minute: 0)), minutes: 60, past: true),
                    practice: f.practice, on: c, logger: logger)
                let appointment = booked.appointments[0].id
                _ = try await ClinicalRecords.complete(appointment, record: SessionRecord(
                    minutes: 60, techniques: [.swedish], painBefore: 6, painAfter: 4), practice: f.practice, on: c, logger: logger)
                let draft = try await SessionNotes.draft(appointmentID: appointment, soap: .init(
                    subjective: "s", objective: "o", assessment: "a", plan: "p"), practice: f.practice, on: c, logger: logger)
                let note = try await SessionNotes.sign(draft.id, as: f.therapist.id, practice: f.practice, on: c, logger: logger).id
                let addendum = try await c.insertReturningID("""
                    INSERT INTO note_addenda (practice_id, note_id, author_id, reason, body)
                    VALUES (\(p), \(note), \(f.therapist.id), 'typo', 'left, not right') RETURNING id
                    """, logger: logger)
                return (note, addendum)
            }
            for statement: PostgresQuery in [
                "UPDATE session_notes SET plan = 'changed' WHERE id = \(note)",
                "DELETE FROM session_notes WHERE id = \(note)",
                "UPDATE note_addenda SET body = 'changed' WHERE id = \(addendum)",
                "DELETE FROM note_addenda WHERE id = \(addendum)",
            ] {
                await #expect(throws: PracticeError.self) {
                    try await database.transaction { _ = try await $0.query(statement, logger: logger) }
                }
            }
        }
    }

    @Test func demoIsIdempotent() async throws {
        try await TestDatabase.withFresh { database in
            let first = try await DemoPractice.seed(database)
            #expect(first.created)
            #expect(first.therapists == 3 && first.clients >= 20 && first.redFlags == 2 && first.redFlagsCleared == 1)
            #expect(first.acute > 0 && first.subAcute > 0 && first.chronic > 0)
            #expect(first.completedSessions > 50 && first.pressureFeedback > 0 && first.referralLetters >= 3)
            let before = try await TestDatabase.rowCounts(database)
            let second = try await DemoPractice.seed(database)
            #expect(!second.created)
            #expect(try await TestDatabase.rowCounts(database) == before)
        }
    }
}
