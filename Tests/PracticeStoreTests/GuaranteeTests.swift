import Foundation
import Logging
import PostgresNIO
import PracticeCore
import PracticeService
import PracticeStore
import PracticeTestSupport
import Testing

private let logger = TestDatabase.logger

/// The guarantees of issue 9, tried with the connection `practice` itself uses: the app role,
/// which owns nothing. Each test fails if the database lets the thing through.
@Suite("Guarantees in the database", .timeLimit(.minutes(5)))
struct GuaranteeTests {
    /// A practice with one completed, signed visit (pain, feedback, an addendum, a sent letter),
    /// a second completed visit without a note, and a second client.
    struct Record {
        var f: TestPractice
        var client: Client
        var otherClient: Client
        var visit: Int64
        var unsignedVisit: Int64
        var note: Int64
        var letter: Int64
    }

    static func record(_ database: PracticeDatabase) async throws -> Record {
        let f = try await TestPractice.create(database)
        let client = try await f.screenedClient("Orla Signed", in: database)
        let other = try await f.screenedClient("Piet Other", in: database)
        let service = PracticeService(database: database, context: ServiceContext(practiceID: f.practice.id, actorLabel: "test"))
        let monday = futureMonday(-2)
        func completedVisit(_ day: Int) async throws -> Int64 {
            let booked = try await service.book(BookingRequest(
                clientID: client.id, therapistID: f.therapist.id,
                at: LocalDateTime(date: monday.adding(days: day), time: try TimeOfDay(hour: 10, minute: 0)), minutes: 60, past: true))
            let id = booked.value.appointments[0].id
            _ = try await service.complete(.init(appointmentID: id, minutes: 60, techniques: [.swedish], painBefore: 6, painAfter: 4))
            return id
        }
        let visit = try await completedVisit(0)
        let unsigned = try await completedVisit(2)
        _ = try await service.addFeedback(.init(appointmentID: visit, region: .lumbarLeft, pressure: 5, discomfort: 3, action: .held))
        let note = try await service.draftNote(appointmentID: visit, soap: .init(subjective: "s", objective: "o", assessment: "a", plan: "p"))
        _ = try await service.signNote(note.id, signer: f.therapist.id)
        _ = try await service.addAddendum(to: note.id, author: f.therapist.id, reason: "late detail", text: "more")
        let letter = try await service.addLetter(.init(clientID: client.id, providerID: f.physician.id, direction: .outgoing,
                                                      kind: .coordination, date: monday, body: "Dear Dr Chen"))
        _ = try await service.sendLetter(letter.letter.id)
        return Record(f: f, client: client, otherClient: other, visit: visit, unsignedVisit: unsigned, note: note.id,
                      letter: letter.letter.id)
    }

    /// Runs one statement in its own transaction as the app role, scoped to the practice, and
    /// returns the error the database raised (nil when it let the statement through).
    static func attempt(_ database: PracticeDatabase, _ sql: String) async -> String? {
        do {
            try await database.transaction { connection in
                // Drain the rows: an error raised while a SELECT runs arrives with them.
                for try await _ in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {}
            }
            return nil
        } catch {
            return String(reflecting: error)
        }
    }

    /// The row as the database holds it, to show nothing changed.
    static func snapshot(_ database: PracticeDatabase, _ table: String, where condition: String) async throws -> String {
        try await database.transaction { connection in
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id)::text, '') FROM \(table) t WHERE \(condition)"),
                logger: logger)
            var text = ""
            for try await value in rows.decode(String.self) { text = value }
            return text
        }
    }

    /// The signed note, its visit, pain, addenda, the sent letter and the audit log, as stored.
    static func guarded(_ database: PracticeDatabase, _ r: Record) async throws -> [String] {
        [
            try await snapshot(database, "session_notes", where: "id = \(r.note)"),
            try await snapshot(database, "appointments", where: "id = \(r.visit)"),
            try await snapshot(database, "pain_reports", where: "appointment_id = \(r.visit)"),
            try await snapshot(database, "note_addenda", where: "note_id = \(r.note)"),
            try await snapshot(database, "referral_letters", where: "id = \(r.letter)"),
            try await snapshot(database, "audit_events", where: "true"),
        ]
    }

    @Test func theAppRoleOwnsNothingAndBypassesNothing() async throws {
        try await TestDatabase.withFresh { database in
            let (superuser, bypass, createRole, owned, ownerMember) = try await database.read { connection in
                let rows = try await connection.query("""
                    SELECT r.rolsuper, r.rolbypassrls, r.rolcreaterole,
                           (SELECT count(*)::int FROM pg_class c WHERE c.relowner = r.oid)
                           + (SELECT count(*)::int FROM pg_proc p WHERE p.proowner = r.oid)
                           + (SELECT count(*)::int FROM pg_namespace n WHERE n.nspowner = r.oid),
                           pg_has_role(current_user, (SELECT d.datdba FROM pg_database d WHERE d.datname = current_database()), 'MEMBER')
                    FROM pg_roles r WHERE r.rolname = current_user
                    """, logger: logger)
                for try await row in rows.decode((Bool, Bool, Bool, Int, Bool).self) { return row }
                throw TestSetupError("no role row")
            }
            #expect(!superuser && !bypass && !createRole)
            #expect(owned == 0, "the app role owns \(owned) objects")
            #expect(!ownerMember, "the app role must not be a member of the database's owner")
        }
    }

    @Test func noSQLGetsAroundTheTriggers() async throws {
        try await TestDatabase.withFresh { database in
            let r = try await Self.record(database)
            let before = try await Self.guarded(database, r)
            // Each attempt with the rule that must refuse it: a missing privilege (the app role owns
            // nothing and was granted no UPDATE, DELETE or TRUNCATE there), or a named trigger.
            let denied = "permission denied", owner = "must be owner", locked = "cannot change"
            let attempts: [(String, [String])] = [
                ("SET session_replication_role = replica", [denied]),
                ("ALTER TABLE session_notes DISABLE TRIGGER ALL", [owner]),
                ("DROP TRIGGER session_notes_immutable_when_signed ON session_notes", [owner]),
                ("CREATE OR REPLACE FUNCTION public.session_notes_guard_signed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
                 [owner, denied]),
                ("ALTER TABLE session_notes NO FORCE ROW LEVEL SECURITY", [owner]),
                ("UPDATE session_notes SET assessment = 'rewritten' WHERE id = \(r.note)", ["is signed and cannot be changed"]),
                ("UPDATE session_notes SET signed_at = signed_at - interval '30 days' WHERE id = \(r.note)",
                 ["is signed and cannot be changed"]),
                ("DELETE FROM session_notes WHERE id = \(r.note)", [denied]),
                ("TRUNCATE session_notes CASCADE", [denied]),
                ("INSERT INTO session_notes (practice_id, appointment_id, assessment, plan, signed_by, signed_at) "
                    + "VALUES (\(r.f.practice.id), \(r.unsignedVisit), 'a', 'p', \(r.f.secondTherapist.id), now() - interval '60 days')",
                 ["cannot be inserted signed"]),
                ("UPDATE appointments SET therapist_id = \(r.f.secondTherapist.id) WHERE id = \(r.visit)", [locked]),
                ("UPDATE appointments SET client_id = \(r.otherClient.id) WHERE id = \(r.visit)", [locked]),
                ("UPDATE appointments SET minutes_treated = 30 WHERE id = \(r.visit)", [locked]),
                ("UPDATE appointments SET soreness = 'marked' WHERE id = \(r.unsignedVisit)", ["is completed"]),
                ("DELETE FROM appointments WHERE id = \(r.visit)", [denied]),
                ("UPDATE pain_reports SET score = 0 WHERE appointment_id = \(r.visit)", [denied]),
                ("DELETE FROM pain_reports WHERE appointment_id = \(r.visit)", [denied]),
                ("UPDATE pressure_feedback SET discomfort = 0", [denied]),
                ("UPDATE screenings SET weight_loss_or_fever = true", [denied]),
                ("UPDATE note_addenda SET body = 'rewritten'", [denied]),
                ("DELETE FROM note_addenda", [denied]),
                ("UPDATE referral_letters SET body = 'rewritten' WHERE id = \(r.letter)", ["is sent and cannot be changed"]),
                ("UPDATE audit_events SET actor = 'nobody'", [denied]),
                ("DELETE FROM audit_events", [denied]),
                ("TRUNCATE audit_events", [denied]),
                ("INSERT INTO audit_events (practice_id, actor, action, entity) VALUES (\(r.f.practice.id), 'x', 'insert', 'clients')",
                 [denied]),
                ("SELECT public.record_disclosure('update', 'clients', 1, 1, NULL)", ["only read and export events"]),
                ("SELECT public.practice_grant_app('practice_user')", [denied]),
                ("UPDATE schema_migrations SET checksum = 'x'", [denied]),
                ("INSERT INTO schema_migrations (version, name) VALUES (9999, 'x')", [denied]),
            ]
            for (sql, rules) in attempts {
                let error = await Self.attempt(database, sql)
                #expect(error.map { refusal in rules.contains { refusal.contains($0) } } == true,
                        "\(sql) → \(error ?? "let through")")
            }
            let after = try await Self.guarded(database, r)
            #expect(before == after)
            #expect(!before[0].isEmpty && !before[5].isEmpty)
        }
    }

    @Test func theTriggersHoldAgainstTheOwnerToo() async throws {
        let url = try await TestDatabase.create()
        try await PracticeDatabase.withDatabase(url: url, logger: logger) { database in
            database.scope.set(actor: "test")
            let r = try await Self.record(database)
            try await PracticeDatabase.withDatabase(url: try TestDatabase.owner(of: url), logger: logger) { owner in
                owner.scope.set(practiceID: r.f.practice.id)
                owner.scope.set(actor: "owner-test")
                // The owner holds every privilege; the triggers are what refuse it.
                for (sql, rule) in [("TRUNCATE session_notes CASCADE", "TRUNCATE is not allowed"),
                                    ("TRUNCATE audit_events", "TRUNCATE is not allowed"),
                                    ("TRUNCATE pain_reports", "TRUNCATE is not allowed"),
                                    ("UPDATE session_notes SET assessment = 'rewritten' WHERE id = \(r.note)", "is signed and cannot be changed"),
                                    ("UPDATE pain_reports SET score = 0", "append-only"),
                                    ("DELETE FROM audit_events", "append-only")] {
                    let error = await Self.attempt(owner, sql)
                    #expect(error?.contains(rule) == true, "\(sql) → \(error ?? "let through")")
                }
            }
        }
    }

    @Test func theDatabaseSetsSigningAddendumAndAuditTimes() async throws {
        try await TestDatabase.withFresh { database in
            let r = try await Self.record(database)
            let note = try await database.transaction { connection in
                try await connection.query("""
                    INSERT INTO session_notes (practice_id, appointment_id, assessment, plan)
                    VALUES (\(r.f.practice.id), \(r.unsignedVisit), 'a', 'p') RETURNING id
                    """, logger: logger).decode(Int64.self).reduce(into: [Int64]()) { $0.append($1) }[0]
            }
            // The caller asks for a date in 2001; the database writes its own transaction time.
            let (signedAt, addendumAt, auditAt, now) = try await database.transaction { connection in
                try await connection.query("""
                    UPDATE session_notes SET signed_by = \(r.f.therapist.id), signed_at = '2001-01-01' WHERE id = \(note)
                    """, logger: logger)
                try await connection.query("""
                    INSERT INTO note_addenda (practice_id, note_id, author_id, reason, body, created_at)
                    VALUES (\(r.f.practice.id), \(note), \(r.f.therapist.id), 'r', 'b', '2001-01-01')
                    """, logger: logger)
                let rows = try await connection.query("""
                    SELECT (SELECT signed_at FROM session_notes WHERE id = \(note)),
                           (SELECT max(created_at) FROM note_addenda WHERE note_id = \(note)),
                           (SELECT max(occurred_at) FROM audit_events), now()
                    """, logger: logger)
                for try await row in rows.decode((Date, Date, Date, Date).self) { return row }
                throw TestSetupError("no row")
            }
            #expect(signedAt == now && addendumAt == now && auditAt == now)
        }
    }

    @Test func temporaryTablesThatShadowOursChangeNothing() async throws {
        try await TestDatabase.withFresh { database in
            let r = try await Self.record(database)
            let draft = try await PracticeService(database: database, context: ServiceContext(practiceID: r.f.practice.id, actorLabel: "test"))
                .draftNote(appointmentID: r.unsignedVisit, soap: .init(subjective: "s", objective: "o", assessment: "a", plan: "p"))
            let outcome: String? = await {
                do {
                    try await database.transaction { connection in
                        // Shadows that would make the wrong therapist "treating" and the draft "signed".
                        try await connection.query("""
                            CREATE TEMP TABLE appointments (practice_id bigint, id bigint, therapist_id bigint, status text, client_id bigint)
                            """, logger: logger)
                        try await connection.query("""
                            INSERT INTO pg_temp.appointments VALUES (\(r.f.practice.id), \(r.unsignedVisit), \(r.f.secondTherapist.id), 'completed', \(r.client.id))
                            """, logger: logger)
                        try await connection.query("""
                            CREATE TEMP TABLE session_notes (practice_id bigint, id bigint, appointment_id bigint, signed_at timestamptz)
                            """, logger: logger)
                        try await connection.query("""
                            INSERT INTO pg_temp.session_notes VALUES (\(r.f.practice.id), \(draft.id), \(r.unsignedVisit), now())
                            """, logger: logger)
                        try await connection.query("SET LOCAL search_path = pg_temp, public", logger: logger)
                        try await connection.query("""
                            UPDATE public.session_notes SET signed_by = \(r.f.secondTherapist.id) WHERE id = \(draft.id)
                            """, logger: logger)
                    }
                    return nil
                } catch { return String(reflecting: error) }
            }()
            #expect(outcome?.contains("only the treating therapist") == true, "\(outcome ?? "signed by the wrong therapist")")
            let addendum: String? = await {
                do {
                    try await database.transaction { connection in
                        try await connection.query("""
                            CREATE TEMP TABLE session_notes (practice_id bigint, id bigint, appointment_id bigint, signed_at timestamptz)
                            """, logger: logger)
                        try await connection.query("""
                            INSERT INTO pg_temp.session_notes VALUES (\(r.f.practice.id), \(draft.id), \(r.unsignedVisit), now())
                            """, logger: logger)
                        try await connection.query("""
                            INSERT INTO public.note_addenda (practice_id, note_id, author_id, reason, body)
                            VALUES (\(r.f.practice.id), \(draft.id), \(r.f.therapist.id), 'r', 'b')
                            """, logger: logger)
                    }
                    return nil
                } catch { return String(reflecting: error) }
            }()
            #expect(addendum?.contains("still a draft") == true, "\(addendum ?? "an addendum went onto a draft")")
        }
    }

    @Test func everyWriteHasItsAuditEventAndNoHealthDetails() async throws {
        try await TestDatabase.withFresh { database in
            let r = try await Self.record(database)
            // Per table: one insert event per row, written by the database, with the actor.
            let mismatches = try await database.transaction { connection in
                let tables = try await connection.query("""
                    SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'practice_id'
                    WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'audit_events'
                      -- Derived from clients by its triggers (0014): the client's own row is audited.
                      AND c.relname <> 'client_search_grams'
                    """, logger: logger).decode(String.self).reduce(into: [String]()) { $0.append($1) }
                var wrong: [String] = []
                for table in tables {
                    let rows = try await connection.query(PostgresQuery(unsafeSQL: """
                        SELECT (SELECT count(*)::int FROM \(table)),
                               (SELECT count(*)::int FROM audit_events WHERE entity = '\(table)' AND action = 'insert')
                               - (SELECT count(*)::int FROM audit_events WHERE entity = '\(table)' AND action = 'delete')
                        """), logger: logger)
                    for try await (rowCount, events) in rows.decode((Int, Int).self) where rowCount != events {
                        wrong.append("\(table): \(rowCount) rows, \(events) insert events")
                    }
                }
                #expect(tables.count >= 15)
                return wrong
            }
            #expect(mismatches.isEmpty, "\(mismatches)")
            // Updates name the columns they changed; no event holds a name, a note or a score.
            let (signEvent, everything) = try await database.transaction { connection in
                let sign = try await connection.query("""
                    SELECT columns FROM audit_events WHERE entity = 'session_notes' AND action = 'update' AND entity_id = \(r.note)
                    """, logger: logger).decode([String].self).reduce(into: [[String]]()) { $0.append($1) }
                let text = try await connection.query("SELECT coalesce(string_agg(to_jsonb(e)::text, ' '), '') FROM audit_events e",
                                                      logger: logger).decode(String.self).reduce("", +)
                return (sign, text)
            }
            #expect(signEvent.contains(["signed_at", "signed_by"]))
            for secret in ["Orla Signed", "Piet Other", "Dear Dr Chen", "late detail"] {
                #expect(!everything.contains(secret), "the audit log holds \(secret)")
            }
            // A write without an actor is refused, and so nothing is written.
            let unattributed = await {
                do {
                    try await database.client.withTransaction(logger: logger) { connection in
                        try await connection.query("SELECT set_config('practice.practice_id', \(String(r.f.practice.id)), true)", logger: logger)
                        try await connection.query("""
                            INSERT INTO pain_reports (practice_id, client_id, source, score, reported_at)
                            VALUES (\(r.f.practice.id), \(r.client.id), 'self_reported', 3, now())
                            """, logger: logger)
                    }
                    return nil as String?
                } catch { return String(reflecting: error) }
            }()
            #expect(unattributed?.contains("needs an actor") == true, "\(unattributed ?? "written without an actor")")
        }
    }

    @Test func readsAndExportsAreRecordedWithTheRecipient() async throws {
        try await TestDatabase.withFresh { database in
            let r = try await Self.record(database)
            let service = PracticeService(database: database, context: ServiceContext(practiceID: r.f.practice.id, actorLabel: "reader"))
            _ = try await service.clientProfile(r.client.id)
            _ = try await service.note(r.note)
            _ = try await service.coordinationSummary(clientID: r.client.id, to: r.f.physio.id)
            let events = try await service.auditEvents(clientID: r.client.id, staffID: nil, since: nil, limit: 1000)
                .filter { $0.actor == "reader" }
            #expect(events.map(\.action) == ["read", "read", "export"])
            #expect(events.map(\.table) == ["clients", "session_notes", "coordination_summary"])
            #expect(events.last?.recipientProviderID == r.f.physio.id)
        }
    }

    @Test func rowLevelSecurityKeepsEachPracticeToItsOwnRows() async throws {
        try await TestDatabase.withFresh { database in
            let other = try await Self.record(database)                      // practice 1: the one to protect
            let mine = try await TestPractice.create(database, name: "Mine")  // practice 2: the one we act as
            _ = try await mine.screenedClient("Mine Client", in: database)
            database.scope.set(practiceID: mine.practice.id)
            let tables = try await database.transaction { connection in
                try await connection.query("""
                    SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'practice_id' AND NOT a.attisdropped
                    WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1
                    """, logger: logger).decode(String.self).reduce(into: [String]()) { $0.append($1) }
            }
            #expect(tables.count >= 16)
            let victim = other.f.practice.id
            for table in tables {
                let seen = try await database.transaction { connection in
                    try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \(table) WHERE practice_id = \(victim)"),
                                               logger: logger).decode(Int.self).reduce(0, +)
                }
                #expect(seen == 0, "\(table): practice \(victim)'s rows are visible")
                for sql in ["UPDATE \(table) SET practice_id = practice_id WHERE practice_id = \(victim) RETURNING 1",
                            "DELETE FROM \(table) WHERE practice_id = \(victim) RETURNING 1"] {
                    let changed: Int? = try? await database.transaction { connection in
                        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int.self).reduce(0, +)
                    }
                    #expect((changed ?? 0) == 0, "\(table): \(sql) changed \(changed ?? 0) rows")
                }
                let inserted = await Self.attempt(database, "INSERT INTO \(table) (practice_id) VALUES (\(victim))")
                #expect(inserted != nil, "\(table): a row for practice \(victim) went in")
                // Refused by the policy, or earlier by a missing grant (the audit log) or a trigger (addenda).
                if table != "note_addenda" {
                    #expect(inserted.map { $0.contains("row-level security") || $0.contains("permission denied") } == true,
                            "\(table): \(inserted ?? "")")
                }
            }
            // And as the victim, everything is still there.
            database.scope.set(practiceID: victim)
            let notes = try await Self.snapshot(database, "session_notes", where: "id = \(other.note)")
            #expect(notes.contains("\"assessment\": \"a\""))
            // With no practice set, nothing is visible at all.
            let bare = try await database.client.withConnection { connection in
                try await connection.query("SELECT count(*)::int FROM clients", logger: logger).decode(Int.self).reduce(0, +)
            }
            #expect(bare == 0)
        }
    }

    @Test func correctionsSupersedeAndKeepTheOldRow() async throws {
        try await TestDatabase.withFresh { database in
            let r = try await Self.record(database)
            let service = PracticeService(database: database, context: ServiceContext(practiceID: r.f.practice.id, actorLabel: "test"))
            let history = try await service.painHistory(clientID: r.client.id)
            let before = try #require(history.first { $0.appointmentID == r.visit && $0.source == "before_session" })
            let correction = try await service.correctPain(before.id, score: 2, reason: "typed 6 for 2", by: r.f.therapist.id)
            let after = try await service.painHistory(clientID: r.client.id)
            #expect(after.first { $0.id == before.id }?.score == 6)
            #expect(after.first { $0.id == before.id }?.supersededBy == correction.id)
            #expect(after.first { $0.id == correction.id }?.score == 2)
            let summary = try await service.coordinationSummary(clientID: r.client.id, to: r.f.physician.id)
            #expect(summary.sessions.first { $0.appointmentID == r.visit }?.painBefore == 2)
            await #expect(throws: PracticeError.self) {
                _ = try await service.correctPain(before.id, score: 3, reason: "again", by: r.f.therapist.id)
            }
            // The database holds the rule too: a second correction of one row, or one that changes
            // the visit it is about, is refused.
            for sql in [
                "INSERT INTO pain_reports (practice_id, client_id, appointment_id, source, score, reported_at, supersedes_id, corrected_by, correction_reason) "
                    + "VALUES (\(r.f.practice.id), \(r.client.id), \(r.visit), 'before_session', 1, now(), \(before.id), \(r.f.therapist.id), 'x')",
                "INSERT INTO pain_reports (practice_id, client_id, appointment_id, source, score, reported_at, supersedes_id, corrected_by, correction_reason) "
                    + "VALUES (\(r.f.practice.id), \(r.client.id), \(r.unsignedVisit), 'before_session', 1, now(), \(correction.id), \(r.f.therapist.id), 'x')",
                "INSERT INTO pain_reports (practice_id, client_id, appointment_id, source, score, reported_at, supersedes_id) "
                    + "VALUES (\(r.f.practice.id), \(r.client.id), \(r.visit), 'before_session', 1, now(), \(correction.id))",
            ] {
                #expect(await Self.attempt(database, sql) != nil, "accepted: \(sql)")
            }
        }
    }

    /// The check reads a corrected value, never the row it replaced: for one client and for the
    /// whole practice, pain (the course's baseline) and pressure feedback alike.
    @Test func theCheckSeesCorrectionsNotTheRowsTheyReplace() async throws {
        try await TestDatabase.withFresh { database in
            let r = try await Self.record(database)
            let service = PracticeService(database: database, context: ServiceContext(practiceID: r.f.practice.id, actorLabel: "test"))
            func metrics() async throws -> [FrequencyMetrics] {
                let one = try #require(try await service.check(clientID: r.client.id).clients.first?.metrics)
                let all = try #require(try await service.check().clients.first { $0.metrics.clientID == r.client.id }?.metrics)
                return [one, all]
            }
            let before = try #require(try await service.painHistory(clientID: r.client.id)
                .first { $0.appointmentID == r.visit && $0.source == "before_session" })
            #expect(try await metrics().map(\.baselinePain) == [6, 6])
            _ = try await service.correctPain(before.id, score: 9, reason: "typed 6 for 9", by: r.f.therapist.id)
            #expect(try await metrics().map(\.baselinePain) == [9, 9])

            let held = try await service.addFeedback(.init(appointmentID: r.visit, region: .glutes, pressure: 7, discomfort: 8,
                                                            action: .held)).value
            #expect(try await metrics().map(\.pressureUneased) == [1, 1])
            _ = try await service.correctFeedback(held.id, pressure: nil, discomfort: nil, action: .eased, reason: "it was eased",
                                                  by: r.f.therapist.id)
            #expect(try await metrics().map(\.pressureUneased) == [0, 0])
        }
    }
}

@Suite("Migrations you can trust", .timeLimit(.minutes(5)))
struct MigrationLedgerTests {
    @Test func theLedgerKeepsEachMigrationsSHA256() async throws {
        let url = try await TestDatabase.create()
        try await PracticeDatabase.withDatabase(url: url, logger: logger) { database in
            let ledger = try await database.read { connection in
                try await connection.query("SELECT version, checksum FROM schema_migrations ORDER BY version", logger: logger)
                    .decode((Int, String).self).reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
            }
            #expect(ledger.count == Migrator.all.count)
            for migration in Migrator.all {
                #expect(ledger[migration.version] == migration.checksum)
                #expect(migration.checksum.count == 64)
            }
        }
    }

    @Test func anEditedMigrationStopsEveryCommand() async throws {
        let url = try await TestDatabase.create()
        try await PracticeDatabase.withDatabase(url: try TestDatabase.owner(of: url), logger: logger) { owner in
            try await owner.read { try await $0.query("UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 3", logger: logger) }
        }
        await #expect(throws: PracticeError.refused(
            "migration 0003_session_records was changed after it was applied (its SHA-256 differs from the ledger's); "
            + "refusing to run on a schema this version cannot vouch for")) {
            try await PracticeService.withDatabase(target: .url(url, owner: nil), logger: logger) { _ in }
        }
        // `migrate` refuses as well, before writing anything.
        await #expect(throws: PracticeError.self) {
            _ = try await PracticeService.migrate(target: .url(url, owner: try TestDatabase.owner(of: url)), dryRun: false, logger: logger)
        }
    }

    @Test func aDatabaseFromANewerVersionIsRefusedWithoutWrites() async throws {
        let url = try await TestDatabase.create()
        let owner = try TestDatabase.owner(of: url)
        try await PracticeDatabase.withDatabase(url: owner, logger: logger) { database in
            try await database.read { try await $0.query("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, '9999_future', 'x')", logger: logger) }
        }
        func ledger() async throws -> Int {
            try await PracticeDatabase.withDatabase(url: owner, logger: logger) { database in
                try await database.read { try await $0.query("SELECT count(*)::int FROM schema_migrations", logger: logger).decode(Int.self).reduce(0, +) }
            }
        }
        let before = try await ledger()
        do {
            _ = try await PracticeService.migrate(target: .url(url, owner: owner), dryRun: false, logger: logger)
            Issue.record("migrate ran on a database from a newer version")
        } catch let PracticeError.refused(message) {
            #expect(message.contains("newer version") && message.contains("9999_future"))
        }
        await #expect(throws: PracticeError.self) {
            try await PracticeService.withDatabase(target: .url(url, owner: nil), logger: logger) { _ in }
        }
        #expect(try await ledger() == before)
    }
}
