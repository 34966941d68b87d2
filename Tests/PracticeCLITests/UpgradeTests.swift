import Foundation
import PostgresNIO
import PracticeStore
import PracticeTestSupport
import Testing

private let logger = TestDatabase.logger

/// `deploy/upgrade.sh` on a database a practice filled while it was at migration 0001: the
/// backup, the migrations and what the data looks like afterwards. Every row written in 0001's
/// shape is still there, unchanged in 0001's columns (names up to Unicode normalisation: 0010
/// stores them in NFC, but for a duplicate a person must merge), and the guarantees of the
/// latest schema hold on it.
@Suite("Upgrades: deploy/upgrade.sh from the first schema", .timeLimit(.minutes(5)))
struct UpgradeTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var script: String { repository.appendingPathComponent("deploy/upgrade.sh").path }

    /// Table → practice id (0 for the practices table itself) → its rows' digests, sorted.
    typealias Fingerprint = [String: [Int64: [String]]]

    /// The actor of the audit events 0010 writes: one per name it normalised.
    static let backfillActor = "migration:0010"

    /// What the fill wrote for one practice, as the tests need it.
    struct MigratedPractice: Sendable {
        var id: Int64
        var clients: Set<Int64>
        var courseClient: Int64
        var clearedClient: Int64
        var decomposedClient: Int64
        /// The decomposed name, in NFC: what a user types; and that client's pain onset.
        var decomposedNameNFC: String
        var decomposedPainOnset: String
        /// The staff member typed decomposed whose NFC spelling another staff member already has
        /// (Harbour only): a duplicate the upgrade leaves as typed.
        var staffTwin: Int64?
        var clearedTherapist: Int64
        var signedNote: Int64
        /// The first visit of the series booked ahead: its id, therapist and local date.
        var booked: Int64
        var bookedTherapist: Int64
        var bookedDate: String
    }

    // MARK: Data in 0001's shape

    /// Two practices, each with rows in every table of 0001, written the way the 0001 version of
    /// `practice` wrote them (its demo and repositories): a course of completed sessions with pain
    /// before and after, pressure feedback, a signed note with an addendum and a draft note; a red
    /// flag cleared by a physician's letter and one still held; a cancelled, a no-show and a
    /// checked-in visit; a weekly series booked ahead; letters received, drafted, sent and
    /// acknowledged; the audit log's own rows; and a name typed decomposed (NFD), which 0001 kept
    /// as typed. Harbour also has a front-desk member entered twice, decomposed and in NFC (0001
    /// compared code points): a duplicate no migration can merge.
    static let fill = #"""
        DO $fill$
        DECLARE
            tz text;
            today date;
            p bigint;
            owner_id bigint; t1 bigint; t2 bigint; desk bigint;
            phys bigint; spine bigint; pt bigint;
            c_course bigint; c_cleared bigint; c_held bigint; c_nfd bigint;
            scr bigint; letter bigint; ser bigint; a bigint; n bigint;
            starts timestamptz; ends timestamptz; mins int;
            visit int;
            days int[] := ARRAY[40, 33, 26, 19, 12, 5];
            before int[] := ARRAY[7, 6, 6, 5, 4, 3];
            after int[] := ARRAY[5, 5, 4, 3, 3, 2];
        BEGIN
            FOR i IN 1..2 LOOP
                tz := (ARRAY['America/New_York', 'Europe/London'])[i];
                today := (now() AT TIME ZONE tz)::date;
                INSERT INTO practices (name, time_zone) VALUES ((ARRAY['Riverside Massage', 'Harbour Bodywork'])[i], tz)
                RETURNING id INTO p;
                INSERT INTO audit_events (practice_id, actor, action, entity, entity_id) VALUES (p, 'cli:dana', 'create', 'practice', p);

                INSERT INTO staff (practice_id, name, role, msk_years, email)
                VALUES (p, (ARRAY['Dana Whitfield', 'Niamh Doyle'])[i], 'owner', 12,
                        (ARRAY['dana@riverside.example', 'niamh@harbour.example'])[i])
                RETURNING id INTO owner_id;
                INSERT INTO staff (practice_id, name, role, msk_years, email)
                VALUES (p, (ARRAY['Marcus Bell', 'Owen Price'])[i], 'therapist', 7, NULL) RETURNING id INTO t1;
                INSERT INTO staff (practice_id, name, role, msk_years, email)
                VALUES (p, (ARRAY['Priya Raman', 'Fatima Khan'])[i], 'therapist', 2.5,
                        (ARRAY['priya@riverside.example', 'fatima@harbour.example'])[i])
                RETURNING id INTO t2;
                INSERT INTO staff (practice_id, name, role, email)
                VALUES (p, (ARRAY['Lena Ortiz', 'Sam Hale'])[i], 'front_desk', 'desk@example.org') RETURNING id INTO desk;
                INSERT INTO staff (practice_id, name, role, msk_years, active)
                VALUES (p, (ARRAY['Old Hand', 'Retired Therapist'])[i], 'therapist', 20, false);
                IF i = 2 THEN
                    INSERT INTO staff (practice_id, name, role, active)
                    VALUES (p, normalize('Siobhán Kelly', NFD), 'front_desk', false), (p, 'Siobhán Kelly', 'front_desk', true);
                END IF;
                INSERT INTO audit_events (practice_id, actor, action, entity, entity_id)
                SELECT p, 'cli:dana', 'create', 'staff', id FROM staff WHERE practice_id = p;

                INSERT INTO providers (practice_id, name, kind, npi, clinic, phone, fax, email)
                VALUES (p, 'Dr. Maya Chen', 'physician', '1234567893', 'Riverside Family Medicine', '(555) 010-7893',
                        '(555) 010-2001', NULL)
                RETURNING id INTO phys;
                INSERT INTO providers (practice_id, name, kind, npi, clinic, phone, fax, email)
                VALUES (p, 'Dr. Samuel Okafor', 'spine_specialist', '1987654328', 'Hudson Spine Center', NULL,
                        '(555) 010-2002', 'spine@hudson.example')
                RETURNING id INTO spine;
                INSERT INTO providers (practice_id, name, kind, npi, clinic)
                VALUES (p, 'Jordan Pike, PT', 'physical_therapist', NULL, 'MoveWell')
                RETURNING id INTO pt;
                INSERT INTO audit_events (practice_id, actor, action, entity, entity_id)
                SELECT p, 'cli:lena', 'create', 'provider', id FROM providers WHERE practice_id = p;

                INSERT INTO clients (practice_id, name, date_of_birth, phone, email, pain_onset, primary_therapist_id)
                VALUES (p, (ARRAY['Maria Rossi', 'Aoife Byrne'])[i], DATE '1978-04-12', '(555) 0100-3000', 'maria@example.org',
                        today - 60, t1)
                RETURNING id INTO c_course;
                INSERT INTO clients (practice_id, name, date_of_birth, phone, pain_onset, primary_therapist_id)
                VALUES (p, (ARRAY['Keiko Tanaka', 'Tomasz Nowak'])[i], DATE '1959-11-30', '(555) 0101-3007', today - 120, t2)
                RETURNING id INTO c_cleared;
                INSERT INTO clients (practice_id, name, date_of_birth, pain_onset, primary_therapist_id)
                VALUES (p, (ARRAY['Hugo Lambert', 'Grace Okoye'])[i], DATE '1990-01-01', today - 10, NULL)
                RETURNING id INTO c_held;
                INSERT INTO clients (practice_id, name, date_of_birth, email, pain_onset, primary_therapist_id)
                VALUES (p, normalize((ARRAY['Zoë Brandt', 'Chloë Martin'])[i], NFD), DATE '1985-06-15', 'zoe@example.org',
                        today - 200, t1)
                RETURNING id INTO c_nfd;
                INSERT INTO audit_events (practice_id, actor, action, entity, entity_id)
                SELECT p, 'cli:lena', 'create', 'client', id FROM clients WHERE practice_id = p;

                INSERT INTO screenings (practice_id, client_id, weight_loss_or_fever, bilateral_numbness_or_bowel_bladder,
                                        cancer_or_major_trauma, night_pain, leg_numbness, screened_by, screened_at)
                VALUES (p, c_course, false, false, false, false, true, desk, now() - interval '45 days'),
                       (p, c_held, false, false, true, true, NULL, desk, now() - interval '3 days'),
                       (p, c_nfd, false, false, false, NULL, NULL, NULL, now() - interval '100 days');
                INSERT INTO screenings (practice_id, client_id, weight_loss_or_fever, bilateral_numbness_or_bowel_bladder,
                                        cancer_or_major_trauma, night_pain, leg_numbness, screened_by, screened_at)
                VALUES (p, c_cleared, false, false, true, false, false, desk, now() - interval '35 days') RETURNING id INTO scr;
                INSERT INTO referral_letters (practice_id, client_id, provider_id, direction, kind, status, letter_date, body)
                VALUES (p, c_cleared, phys, 'incoming', 'clearance', 'received', today - 30,
                        'History of cancer reviewed; in remission five years. Cleared for therapeutic massage.')
                RETURNING id INTO letter;
                INSERT INTO clearances (practice_id, client_id, screening_id, provider_id, provider_kind, cleared_on, note, letter_id)
                VALUES (p, c_cleared, scr, phys, 'physician', today - 30, 'oncology history reviewed; cleared', letter);
                INSERT INTO audit_events (practice_id, actor, action, entity, entity_id)
                SELECT p, 'cli:lena', 'create', 'screening', id FROM screenings WHERE practice_id = p
                UNION ALL SELECT p, 'cli:lena', 'create', 'clearance', id FROM clearances WHERE practice_id = p;

                -- A course of six completed sessions: pain before and after, feedback, a signed note with
                -- an addendum, and the latest session's note still a draft.
                FOR visit IN 1..6 LOOP
                    mins := (ARRAY[60, 45, 50, 30, 60, 45])[visit];
                    starts := ((today - days[visit]) + time '10:00') AT TIME ZONE tz;
                    ends := starts + make_interval(mins => mins);
                    INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, status, minutes_treated,
                                              techniques, soreness, cpt_code, billable_units, fee, completed_at, created_at)
                    VALUES (p, c_course, t1, starts, ends, 'completed', mins,
                            string_to_array((ARRAY['swedish', 'deep_tissue,trigger_point', 'myofascial_release', 'swedish,other',
                                                   'swedish', 'trigger_point'])[visit], ','),
                            CASE WHEN visit = 1 THEN 'mild' ELSE 'none' END, '97124', (mins + 7) / 15, 95.00, ends,
                            starts - interval '7 days')
                    RETURNING id INTO a;
                    INSERT INTO pain_reports (practice_id, client_id, appointment_id, source, score, reported_at)
                    VALUES (p, c_course, a, 'before_session', before[visit], starts),
                           (p, c_course, a, 'after_session', after[visit], ends);
                    INSERT INTO audit_events (practice_id, actor, action, entity, entity_id)
                    VALUES (p, 'cli:marcus', 'complete', 'appointment', a);
                    IF visit IN (1, 4) THEN
                        INSERT INTO pressure_feedback (practice_id, appointment_id, region, pressure, discomfort, action, note,
                                                       recorded_at)
                        VALUES (p, a, 'lumbar_left', 5, 4, 'eased', NULL, starts + interval '20 minutes'),
                               (p, a, 'quadratus_lumborum', 7, CASE WHEN visit = 4 THEN 7 ELSE 3 END,
                                CASE WHEN visit = 4 THEN 'held' ELSE 'increased' END,
                                CASE WHEN visit = 4 THEN 'client asked to keep pressure' END, starts + interval '35 minutes');
                    END IF;
                    IF visit IN (1, 6) THEN
                        INSERT INTO session_notes (practice_id, appointment_id, subjective, objective, assessment, plan,
                                                   home_program, created_at, updated_at)
                        VALUES (p, a, 'Low-back pain, worse after sitting.', 'Hypertonic lumbar paraspinals; flexion limited.',
                                'Mechanical low-back pain, responding to soft-tissue work.', 'Continue 1–2 sessions weekly.',
                                CASE WHEN visit = 1 THEN 'Self-massage beside (never over) the spine; moist heat before sessions.' END,
                                ends, ends)
                        RETURNING id INTO n;
                        IF visit = 1 THEN
                            UPDATE session_notes SET signed_by = t1, signed_at = ends + interval '1 hour',
                                                     updated_at = ends + interval '1 hour'
                            WHERE practice_id = p AND id = n;
                            INSERT INTO note_addenda (practice_id, note_id, author_id, reason, body, created_at)
                            VALUES (p, n, t1, 'Wrong side recorded', 'Tenderness was on the right, not the left.',
                                    ends + interval '2 days');
                        END IF;
                    END IF;
                END LOOP;
                INSERT INTO pain_reports (practice_id, client_id, appointment_id, source, score, reported_at)
                VALUES (p, c_course, NULL, 'self_reported', 4, now() - interval '8 days');

                -- The cleared client: two sessions billed without a code; a cancelled and a no-show visit.
                FOR visit IN 1..2 LOOP
                    starts := ((today - (ARRAY[21, 7])[visit]) + time '11:30') AT TIME ZONE tz;
                    ends := starts + interval '50 minutes';
                    INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, status, minutes_treated,
                                              techniques, soreness, completed_at, created_at)
                    VALUES (p, c_cleared, t2, starts, ends, 'completed', 50, ARRAY['swedish'], 'none', ends,
                            starts - interval '3 days')
                    RETURNING id INTO a;
                    INSERT INTO pain_reports (practice_id, client_id, appointment_id, source, score, reported_at)
                    VALUES (p, c_cleared, a, 'before_session', 6, starts), (p, c_cleared, a, 'after_session', 5 - visit, ends);
                    INSERT INTO pressure_feedback (practice_id, appointment_id, region, pressure, discomfort, action, recorded_at)
                    VALUES (p, a, 'glutes', 4, 2, 'held', starts + interval '10 minutes');
                END LOOP;
                starts := ((today - 14) + time '11:30') AT TIME ZONE tz;
                INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, status, cancelled_at, created_at)
                VALUES (p, c_cleared, t2, starts, starts + interval '50 minutes', 'cancelled', starts - interval '1 day',
                        starts - interval '6 days');
                starts := ((today - 28) + time '16:00') AT TIME ZONE tz;
                INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, status, override_reason,
                                          created_at)
                VALUES (p, c_cleared, t2, starts, starts + interval '60 minutes', 'no_show',
                        'third visit that week at the physician''s request', starts - interval '2 days');

                -- A weekly series booked ahead for the course client.
                INSERT INTO appointment_series (practice_id, client_id, therapist_id, weekdays, local_time, minutes, time_zone,
                                                starts_on, occurrence_count)
                VALUES (p, c_course, t1, ARRAY[extract(isodow FROM today + 2)::smallint], time '10:00', 60, tz, today + 2, 4)
                RETURNING id INTO ser;
                FOR visit IN 0..3 LOOP
                    starts := ((today + 2 + 7 * visit) + time '10:00') AT TIME ZONE tz;
                    INSERT INTO appointments (practice_id, client_id, therapist_id, series_id, starts_at, ends_at, created_at)
                    VALUES (p, c_course, t1, ser, starts, starts + interval '60 minutes', now() - interval '1 day');
                END LOOP;

                -- The decomposed name: checked in yesterday, never completed.
                starts := ((today - 1) + time '14:00') AT TIME ZONE tz;
                INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, status, created_at)
                VALUES (p, c_nfd, t1, starts, starts + interval '45 minutes', 'checked_in', starts - interval '1 day');

                -- Letters: a prescription received, coordination letters sent and acknowledged, a referral drafted.
                INSERT INTO referral_letters (practice_id, client_id, provider_id, direction, kind, status, letter_date,
                                              diagnosis_code, wording, sessions_authorised, valid_until)
                VALUES (p, c_course, phys, 'incoming', 'prescription', 'received', today - 45, 'M54.50',
                        'therapeutic massage for low-back pain', 12, today + 55);
                INSERT INTO referral_letters (practice_id, client_id, provider_id, direction, kind, status, letter_date, body,
                                              sent_at)
                VALUES (p, c_course, pt, 'outgoing', 'coordination', 'sent', today - 2,
                        'Pain down from 7/10 to 3/10 over 6 sessions; please continue core strengthening.',
                        now() - interval '2 days');
                INSERT INTO referral_letters (practice_id, client_id, provider_id, direction, kind, status, letter_date, body,
                                              sent_at, acknowledged_at)
                VALUES (p, c_nfd, phys, 'outgoing', 'coordination', 'acknowledged', today - 20, 'Summary of care to date.',
                        now() - interval '20 days', now() - interval '18 days');
                INSERT INTO referral_letters (practice_id, client_id, provider_id, direction, kind, status, letter_date,
                                              reason_rule, body)
                VALUES (p, c_held, spine, 'outgoing', 'referral', 'draft', today, 'red_flag',
                        'Red flag on screening; referral for spine assessment before massage.');
                INSERT INTO audit_events (practice_id, actor, action, entity, entity_id)
                SELECT p, 'cli:marcus', 'create', 'referral_letter', id FROM referral_letters WHERE practice_id = p;
            END LOOP;
        END
        $fill$
        """#

    static let tables0001 = ["appointment_series", "appointments", "audit_events", "clearances", "clients", "note_addenda",
                             "pain_reports", "practices", "pressure_feedback", "providers", "referral_letters", "screenings",
                             "session_notes", "staff"]

    /// The practices as the fill left them (read at 0001, where no row-level security applies).
    static func practices(_ owner: DatabaseURL) async throws -> [MigratedPractice] {
        try await PracticeDatabase.withDatabase(url: owner, logger: logger) { database in
            try await database.read { connection in
                let rows = try await connection.query("""
                    SELECT p.id,
                           (SELECT array_agg(c.id ORDER BY c.id) FROM clients c WHERE c.practice_id = p.id),
                           (SELECT c.id FROM clients c WHERE c.practice_id = p.id AND c.name IN ('Maria Rossi', 'Aoife Byrne')),
                           (SELECT c.id FROM clients c WHERE c.practice_id = p.id AND c.name IN ('Keiko Tanaka', 'Tomasz Nowak')),
                           (SELECT c.id FROM clients c WHERE c.practice_id = p.id AND NOT c.name IS NFC NORMALIZED),
                           (SELECT normalize(c.name, NFC) FROM clients c WHERE c.practice_id = p.id AND NOT c.name IS NFC NORMALIZED),
                           (SELECT c.pain_onset::text FROM clients c WHERE c.practice_id = p.id AND NOT c.name IS NFC NORMALIZED),
                           (SELECT f.id FROM staff f WHERE f.practice_id = p.id AND NOT f.name IS NFC NORMALIZED),
                           (SELECT c.primary_therapist_id FROM clients c
                            WHERE c.practice_id = p.id AND c.name IN ('Keiko Tanaka', 'Tomasz Nowak')),
                           (SELECT n.id FROM session_notes n WHERE n.practice_id = p.id AND n.signed_at IS NOT NULL),
                           a.id, a.therapist_id, to_char(a.starts_at AT TIME ZONE p.time_zone, 'YYYY-MM-DD')
                    FROM practices p
                    JOIN LATERAL (SELECT * FROM appointments a WHERE a.practice_id = p.id AND a.status = 'booked'
                                  ORDER BY a.starts_at LIMIT 1) a ON true
                    ORDER BY p.id
                    """, logger: logger)
                var practices: [MigratedPractice] = []
                for try await (id, clients, course, cleared, decomposed, nfc, onset, twin, clearedTherapist, note, booked, therapist,
                               date)
                    in rows.decode((Int64, [Int64], Int64, Int64, Int64, String, String, Int64?, Int64, Int64, Int64, Int64,
                                    String).self) {
                    practices.append(MigratedPractice(id: id, clients: Set(clients), courseClient: course, clearedClient: cleared,
                                              decomposedClient: decomposed, decomposedNameNFC: nfc, decomposedPainOnset: onset,
                                              staffTwin: twin, clearedTherapist: clearedTherapist, signedNote: note,
                                              booked: booked, bookedTherapist: therapist, bookedDate: date))
                }
                return practices
            }
        }
    }

    /// Every base table's columns, in order, as the schema has them now.
    static func columns(_ owner: DatabaseURL) async throws -> [String: [String]] {
        try await PracticeDatabase.withDatabase(url: owner, logger: logger) { database in
            try await database.read { connection in
                var columns: [String: [String]] = [:]
                for try await (table, column) in try await connection.query("""
                    SELECT c.table_name::text, c.column_name::text
                    FROM information_schema.columns c
                    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                    WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name <> 'schema_migrations'
                    ORDER BY c.table_name, c.ordinal_position
                    """, logger: logger).decode((String, String).self) {
                    columns[table, default: []].append(column)
                }
                return columns
            }
        }
    }

    /// A digest of each row over `columns` (0001's, by name: later migrations add columns), per
    /// practice. As the owner, one practice at a time: from 0006 on, row-level security is forced
    /// on the owner too, and shows only the practice a transaction names.
    /// Names go in as NFC on both sides, every other column as stored: 0010 normalises the names
    /// typed decomposed, and writes an audit event for each, which is left out here;
    /// `migratedRowsHoldTheirStamps` checks which names changed, and those events, exactly.
    static func fingerprint(_ url: DatabaseURL, columns: [String: [String]]) async throws -> Fingerprint {
        try await PracticeDatabase.withDatabase(url: url, logger: logger) { database in
            let practices = try await database.read { connection in
                try await connection.query("SELECT id FROM public.practices ORDER BY id", logger: logger)
                    .decode(Int64.self).reduce(into: [Int64]()) { $0.append($1) }
            }
            var result: Fingerprint = [:]
            for (table, names) in columns {
                let digest = "md5(ROW(" + names.map { $0 == "name" ? "normalize(t.\"name\", NFC)" : "t.\"\($0)\"" }
                    .joined(separator: ", ") + ")::text)"
                let scoped = names.contains("practice_id")
                for practice in scoped ? practices : [0] {
                    database.scope.set(practiceID: scoped ? practice : nil)
                    let conditions = (scoped ? ["t.practice_id = \(practice)"] : [])
                        + (table == "audit_events" ? ["t.actor <> '\(backfillActor)'"] : [])
                    let sql = "SELECT \(digest) FROM public.\"\(table)\" t"
                        + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
                    let digests = try await database.transaction { connection in
                        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                            .decode(String.self).reduce(into: [String]()) { $0.append($1) }
                    }
                    result[table, default: [:]][practice] = digests.sorted()
                }
            }
            database.scope.set(practiceID: nil)
            return result
        }
    }

    /// Rows of `before` that `after` no longer has, unchanged, per table and practice; with
    /// `exactly`, rows `after` has in addition too.
    static func differences(_ before: Fingerprint, _ after: Fingerprint, exactly: Bool) -> [String] {
        var problems: [String] = []
        for (table, practices) in before.sorted(by: { $0.key < $1.key }) {
            for (practice, rows) in practices.sorted(by: { $0.key < $1.key }) {
                let now = after[table]?[practice] ?? []
                var left = Dictionary(now.map { ($0, 1) }, uniquingKeysWith: +)
                var missing = 0
                for row in rows {
                    if let count = left[row], count > 0 { left[row] = count - 1 } else { missing += 1 }
                }
                let added = left.values.reduce(0, +)
                if missing > 0 || (exactly && added > 0) {
                    problems.append("\(table), practice \(practice): \(rows.count) rows before, \(now.count) after, "
                                    + "\(missing) missing or changed in 0001's columns")
                }
            }
        }
        return problems
    }

    /// Runs one statement in its own transaction, scoped as the database's scope says, and
    /// returns the error that refused it (nil if it went through).
    static func attempt(_ database: PracticeDatabase, _ sql: String) async -> String? {
        do {
            try await database.transaction { connection in
                for try await _ in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {}
            }
            return nil
        } catch {
            return String(reflecting: error)
        }
    }

    // MARK: Running the script

    /// deploy/upgrade.sh as an administrator runs it (bounded: `timeout` ends a hang), with the
    /// CLI's database settings; its output goes through files, so neither stream can fill up.
    static func upgrade(_ cli: CLI, _ arguments: [String], extra: [String: String]) throws -> CLI.Result {
        var environment = cli.processEnvironment
        environment.removeValue(forKey: "PRACTICE_BACKUP_RECIPIENT")
        environment.merge(extra) { $1 }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["--kill-after=10", "240", "/bin/bash", script] + arguments
        process.environment = environment
        let folder = FileManager.default.temporaryDirectory
        let out = folder.appendingPathComponent("upgrade-\(UUID().uuidString).out")
        let err = folder.appendingPathComponent("upgrade-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        process.currentDirectoryURL = folder
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return CLI.Result(status: process.terminationStatus,
                          stdout: try String(contentsOf: out, encoding: .utf8),
                          stderr: try String(contentsOf: err, encoding: .utf8))
    }

    static func scratch(_ name: String) throws -> String {
        let base = ProcessInfo.processInfo.environment["PRACTICE_TEST_SCRATCH"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.temporaryDirectory.path
        let folder = "\(base)/\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        return folder
    }

    static func pending(_ cli: CLI) throws -> [String] {
        let dryRun = try cli.run("migrate", "--dry-run", "--json")
        guard dryRun.status == 0 else { throw TestSetupError("migrate --dry-run failed: \(dryRun.stderr)") }
        return try dryRun.object()["pending"] as? [String] ?? []
    }

    // MARK: Tests

    @Test func aDatabaseFilledAtTheFirstSchemaUpgradesWithNothingLostAndEveryGuaranteeInPlace() async throws {
        let (cli, app) = try await CLI.fresh(migrated: false)
        let owner = try TestDatabase.owner(of: app)
        let later = Migrator.all.filter { $0.version > 1 }.map(\.name)
        #expect(!later.isEmpty)

        // The database as the first version left it, filled the way that version wrote rows.
        let first = try cli.run("migrate", "--to", "1", "--json")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try first.object()["applied"] as? [String] == ["0001_foundation"])
        #expect(try Self.pending(cli) == later)
        try await PracticeDatabase.withDatabase(url: owner, logger: logger) { database in
            try await database.read { connection in
                for try await _ in try await connection.query(PostgresQuery(unsafeSQL: Self.fill), logger: logger) {}
            }
        }
        let columns = try await Self.columns(owner)
        #expect(columns.keys.sorted() == Self.tables0001, "the fill covers every table 0001 has")
        let practices = try await Self.practices(owner)
        #expect(practices.count == 2)
        let before = try await Self.fingerprint(owner, columns: columns)
        for table in Self.tables0001 {
            let counts = (before[table] ?? [:]).values.map(\.count)
            #expect(!counts.isEmpty && counts.allSatisfy { $0 > 0 }, "\(table) has rows in every practice: \(counts)")
        }

        let folder = try Self.scratch("upgrade")
        let identity = folder + "/backup.key"
        _ = try toolOutput("age-keygen", ["-o", identity])
        let recipient = try toolOutput("age-keygen", ["-y", identity]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(recipient.hasPrefix("age1"))
        let backups = folder + "/backups"
        let user = try toolOutput("id", ["-un"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let arguments = ["--practice", CLI.binary, "--no-env", "--user", user,
                         "--backup-dir", backups, "--no-restart"]
        let backupURL = ["PRACTICE_BACKUP_URL": owner.urlString]
        func archives() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: backups)) ?? []).filter { $0.hasSuffix(".dump.age") }
        }

        // No recipient: refused before anything is backed up or migrated.
        let unkeyed = try Self.upgrade(cli, arguments, extra: backupURL)
        #expect(unkeyed.status == 1, "\(unkeyed.stdout)\n\(unkeyed.stderr)")
        #expect(unkeyed.stderr.contains("PRACTICE_BACKUP_RECIPIENT"), "\(unkeyed.stderr)")
        #expect(unkeyed.stderr.split(separator: "\n").count == 1, "\(unkeyed.stderr)")
        #expect(archives().isEmpty)
        #expect(try Self.pending(cli) == later, "the schema is still at 0001")

        // The upgrade: backup, migrate, no restart (no systemd in a test).
        let upgraded = try Self.upgrade(cli, arguments, extra: backupURL.merging(["PRACTICE_BACKUP_RECIPIENT": recipient]) { $1 })
        #expect(upgraded.status == 0, "\(upgraded.stdout)\n\(upgraded.stderr)")
        let written = archives()
        #expect(written.count == 1, "\(written)")
        let archive = backups + "/" + (written.first ?? "?")
        #expect(upgraded.stdout.contains(archive))
        for name in later { #expect(upgraded.stdout.contains(name), "\(name) in the output") }
        #expect(upgraded.stdout.contains("restart"))
        #expect(try Self.pending(cli).isEmpty)

        // Nothing lost: every row of every 0001 table, unchanged in 0001's columns.
        let after = try await Self.fingerprint(owner, columns: columns)
        let lost = Self.differences(before, after, exactly: true)
        #expect(lost.isEmpty, "\(lost.joined(separator: "\n"))")

        // The backup is the database as it was before the upgrade: restored, it is at 0001 with every row.
        let restoredName = app.database + "_before"
        let restored = try cli.run("restore", archive, "--identity", identity, "--to", restoredName, "--json")
        #expect(restored.status == 0, "\(restored.stderr)")
        let restoredURL = owner.with(database: restoredName)
        let copy = try await Self.fingerprint(restoredURL, columns: columns)
        let differ = Self.differences(before, copy, exactly: true)
        #expect(differ.isEmpty, "\(differ.joined(separator: "\n"))")
        let restoredVersions = try await PracticeDatabase.withDatabase(url: restoredURL, logger: logger) { database in
            try await database.read { connection in
                try await connection.query("SELECT version FROM public.schema_migrations ORDER BY version", logger: logger)
                    .decode(Int.self).reduce(into: [Int]()) { $0.append($1) }
            }
        }
        #expect(restoredVersions == [1])

        try await Self.catalogHolds(owner)
        try await Self.migratedRowsHoldTheirStamps(owner, practices)
        try await Self.appRoleIsBound(app, owner, practices, before)
        try Self.theAppWorksOnTheMigratedRows(cli, practices)

        // Every refused write above left the migrated rows as they were; what the app wrote is new rows.
        let end = try await Self.fingerprint(owner, columns: columns)
        let changed = Self.differences(before, end, exactly: false)
        #expect(changed.isEmpty, "\(changed.joined(separator: "\n"))")
        for table in ["session_notes", "note_addenda", "clients", "screenings", "pain_reports", "referral_letters"] {
            #expect(end[table] == before[table], "\(table) unchanged")
        }

        try Self.theGapsLeftBeforeAreFilled(cli, practices)
    }

    /// The latest schema's catalog, after migrating rows written at 0001.
    static func catalogHolds(_ owner: DatabaseURL) async throws {
        try await PracticeDatabase.withDatabase(url: owner, logger: logger) { database in
            try await database.read { connection in
                // The ledger names every migration, each with its checksum.
                let ledger = try await connection.query(
                    "SELECT version, checksum FROM public.schema_migrations ORDER BY version", logger: logger)
                    .decode((Int, String).self).reduce(into: [(Int, String)]()) { $0.append($1) }
                #expect(ledger.map { $0.0 } == Migrator.all.map(\.version))
                #expect(ledger.map { $0.1 } == Migrator.all.map(\.checksum))

                // Every constraint was checked against the migrated rows. 0007 adds its names-in-NFC
                // checks NOT VALID; 0010 normalises the names and validates each table's check, except
                // staff's: Harbour's member typed twice (decomposed, and in NFC) waits for a person.
                let unchecked = try await connection.query("""
                    SELECT c.conname::text FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                    WHERE n.nspname = 'public' AND NOT c.convalidated ORDER BY 1
                    """, logger: logger).decode(String.self).reduce(into: [String]()) { $0.append($1) }
                #expect(unchecked == ["staff_name_nfc"])

                // No trigger is disabled, and row-level security is on, and forced, on every table.
                let disabled = try await connection.query("""
                    SELECT count(*)::int FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND NOT g.tgisinternal AND g.tgenabled = 'D'
                    """, logger: logger).decode(Int.self).reduce(0, +)
                #expect(disabled == 0)
                let unforced = try await connection.query("""
                    SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'schema_migrations'
                      AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
                    ORDER BY 1
                    """, logger: logger).decode(String.self).reduce(into: [String]()) { $0.append($1) }
                #expect(unforced.isEmpty, "without forced row-level security: \(unforced)")
            }
        }
    }

    /// What later migrations filled in for rows that predate them: 0005's stamps; 0010's names in
    /// NFC, but for the staff member typed twice, with an audit event for each name it changed; and
    /// the client of each audit event written at 0001, where its entity names one.
    static func migratedRowsHoldTheirStamps(_ owner: DatabaseURL, _ practices: [MigratedPractice]) async throws {
        try await PracticeDatabase.withDatabase(url: owner, logger: logger) { database in
            for practice in practices {
                database.scope.set(practiceID: practice.id)
                let (statuses, unstamped, screenings, feedback) = try await database.transaction { connection in
                    let rows = try await connection.query("""
                        SELECT (SELECT count(DISTINCT status)::int FROM appointments),
                               (SELECT count(*)::int FROM appointments
                                WHERE (status = 'completed' AND completion_recorded_at IS DISTINCT FROM completed_at)
                                   OR (status = 'cancelled' AND cancelled_at IS NULL)
                                   OR (status = 'no_show' AND no_show_at IS NULL)
                                   OR (status = 'checked_in' AND checked_in_at IS NULL)),
                               (SELECT count(*)::int FROM screenings WHERE recorded_at IS DISTINCT FROM screened_at),
                               (SELECT count(*)::int FROM pressure_feedback WHERE created_at IS DISTINCT FROM recorded_at)
                        """, logger: logger)
                    for try await row in rows.decode((Int, Int, Int, Int).self) { return row }
                    throw TestSetupError("no row")
                }
                #expect(statuses == 5, "practice \(practice.id): every appointment status is represented")
                #expect(unstamped == 0, "practice \(practice.id): 0005's status stamps")
                #expect(screenings == 0 && feedback == 0, "practice \(practice.id): 0005's recorded times")

                // Names are compared in SQL: Swift's == on strings holds NFD and NFC spellings equal.
                let (clientStored, clients, staff, others) = try await database.transaction { connection in
                    let rows = try await connection.query("""
                        SELECT (SELECT c.name IS NFC NORMALIZED AND c.name = \(practice.decomposedNameNFC)
                                FROM clients c WHERE c.id = \(practice.decomposedClient)),
                               (SELECT count(*)::int FROM clients WHERE NOT name IS NFC NORMALIZED),
                               (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM staff WHERE NOT name IS NFC NORMALIZED),
                               (SELECT count(*)::int FROM providers WHERE NOT name IS NFC NORMALIZED)
                               + (SELECT count(*)::int FROM practices WHERE NOT name IS NFC NORMALIZED)
                        """, logger: logger)
                    for try await row in rows.decode((Bool?, Int, [Int64], Int).self) { return row }
                    throw TestSetupError("no row")
                }
                #expect(clientStored == true, "practice \(practice.id): the name typed decomposed is stored in NFC")
                #expect(clients == 0 && others == 0, "practice \(practice.id): every other name is in NFC")
                #expect(staff == (practice.staffTwin.map { [$0] } ?? []),
                        "practice \(practice.id): the staff member typed twice is left as typed, for a person to merge")

                // 0010's audit events: the one name it changed here, nothing else.
                let changes = try await database.transaction { connection in
                    try await connection.query("""
                        SELECT entity || ' ' || action || ' ' || entity_id || ' ' || array_to_string(columns, ',')
                               || ' client ' || coalesce(client_id::text, '-')
                        FROM audit_events WHERE actor = \(Self.backfillActor) ORDER BY id
                        """, logger: logger).decode(String.self).reduce(into: [String]()) { $0.append($1) }
                }
                #expect(changes == ["clients update \(practice.decomposedClient) name client \(practice.decomposedClient)"],
                        "practice \(practice.id): \(changes)")

                // The audit events written at 0001 (entities in the singular) name their client where
                // the entity has one: the client itself, or the row's client.
                let (unfilled, wrong, misplaced) = try await database.transaction { connection in
                    let rows = try await connection.query("""
                        SELECT count(*) FILTER (WHERE e.entity NOT IN ('practice', 'staff', 'provider') AND e.client_id IS NULL)::int,
                               count(*) FILTER (WHERE e.entity NOT IN ('practice', 'staff', 'provider')
                                                  AND e.client_id IS DISTINCT FROM CASE e.entity
                                   WHEN 'client' THEN e.entity_id
                                   WHEN 'appointment' THEN (SELECT r.client_id FROM appointments r WHERE r.id = e.entity_id)
                                   WHEN 'screening' THEN (SELECT r.client_id FROM screenings r WHERE r.id = e.entity_id)
                                   WHEN 'clearance' THEN (SELECT r.client_id FROM clearances r WHERE r.id = e.entity_id)
                                   WHEN 'referral_letter' THEN (SELECT r.client_id FROM referral_letters r WHERE r.id = e.entity_id)
                               END)::int,
                               count(*) FILTER (WHERE e.entity IN ('practice', 'staff', 'provider') AND e.client_id IS NOT NULL)::int
                        FROM audit_events e
                        WHERE e.entity IN ('practice', 'staff', 'provider', 'client', 'screening', 'clearance', 'appointment',
                                           'referral_letter')
                        """, logger: logger)
                    for try await row in rows.decode((Int, Int, Int).self) { return row }
                    throw TestSetupError("no row")
                }
                #expect(unfilled == 0 && wrong == 0, "practice \(practice.id): \(unfilled) events without their client, \(wrong) wrong")
                #expect(misplaced == 0, "practice \(practice.id): events about practices, staff and providers name no client")
            }
            database.scope.set(practiceID: nil)
        }
    }

    /// The application's role on the migrated rows: one practice at a time, and the guarantees'
    /// triggers in the way of every change to the record.
    static func appRoleIsBound(_ app: DatabaseURL, _ owner: DatabaseURL, _ practices: [MigratedPractice],
                               _ before: Fingerprint) async throws {
        try await PracticeDatabase.withDatabase(url: app, logger: logger) { database in
            let unscoped = try await database.read { connection in
                try await connection.query("SELECT count(*)::int FROM clients", logger: logger).decode(Int.self).reduce(0, +)
            }
            #expect(unscoped == 0, "without a practice, row-level security shows no client")
            for practice in practices {
                database.scope.set(practiceID: practice.id)
                database.scope.set(actor: "upgrade-test")
                for table in Self.tables0001 where table != "practices" {
                    let (visible, foreign) = try await database.transaction { connection in
                        // 0010's own audit rows (one per normalised name) are not 0001's.
                        let own = table == "audit_events" ? "WHERE actor <> '\(Self.backfillActor)'" : ""
                        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
                            SELECT count(*)::int, count(*) FILTER (WHERE practice_id <> \(practice.id))::int FROM public.\(table) \(own)
                            """), logger: logger)
                        for try await row in rows.decode((Int, Int).self) { return row }
                        return (0, 0)
                    }
                    #expect(visible == before[table]?[practice.id]?.count && foreign == 0,
                            "\(table) as practice \(practice.id): \(visible) rows, \(foreign) of other practices")
                }
                let other = practices.first(where: { $0.id != practice.id })?.id ?? 0
                let attempts: [(String, String)] = [
                    ("UPDATE session_notes SET plan = 'rewritten after the upgrade' WHERE id = \(practice.signedNote)",
                     "is signed and cannot be changed"),
                    ("UPDATE session_notes SET signed_at = signed_at - interval '1 day' WHERE id = \(practice.signedNote)",
                     "is signed and cannot be changed"),
                    ("DELETE FROM session_notes WHERE id = \(practice.signedNote)", "permission denied"),
                    ("UPDATE appointments SET minutes_treated = 15 WHERE status = 'completed'", "cannot change"),
                    ("UPDATE pain_reports SET score = 0", "permission denied"),
                    ("DELETE FROM note_addenda", "permission denied"),
                    ("DELETE FROM audit_events", "permission denied"),
                    ("UPDATE audit_events SET actor = 'nobody'", "permission denied"),
                    ("TRUNCATE audit_events", "permission denied"),
                    ("INSERT INTO clients (practice_id, name, date_of_birth, pain_onset) "
                        + "VALUES (\(other), 'Cross Practice', DATE '1980-01-01', DATE '2026-01-01')", "row-level security"),
                ]
                for (sql, rule) in attempts {
                    let error = await Self.attempt(database, sql)
                    #expect(error?.contains(rule) == true, "practice \(practice.id): \(sql) → \(error ?? "let through")")
                }
            }
        }
        // The owner holds every privilege on the tables; the triggers still keep the audit log.
        try await PracticeDatabase.withDatabase(url: owner, logger: logger) { database in
            for practice in practices {
                database.scope.set(practiceID: practice.id)
                database.scope.set(actor: "upgrade-test")
                for (sql, rule) in [("DELETE FROM audit_events", "append-only"),
                                    ("UPDATE audit_events SET actor = 'nobody'", "append-only"),
                                    ("TRUNCATE audit_events", "TRUNCATE is not allowed"),
                                    ("UPDATE session_notes SET plan = 'x' WHERE id = \(practice.signedNote)", "is signed")] {
                    let error = await Self.attempt(database, sql)
                    #expect(error?.contains(rule) == true, "owner, practice \(practice.id): \(sql) → \(error ?? "let through")")
                }
            }
        }
    }

    /// `practice` itself on the migrated rows: it lists them, checks them, refuses to change a
    /// signed note or to double-book a migrated visit, and books around it.
    static func theAppWorksOnTheMigratedRows(_ cli: CLI, _ practices: [MigratedPractice]) throws {
        for practice in practices {
            let scope = ["--practice", String(practice.id)]
            let listed = try cli.run(["client", "list", "--json"] + scope)
            #expect(listed.status == 0, "\(listed.stderr)")
            let ids = Set(((try? listed.json()) as? [[String: Any]] ?? []).compactMap { ($0["id"] as? Int).map { Int64($0) } })
            #expect(ids == practice.clients, "practice \(practice.id) lists its own clients, all of them")

            let check = try cli.run(["check", "--json"] + scope)
            #expect(check.status == 0 || check.status == 2, "\(check.stderr)")
            #expect((try? check.object()) != nil, "check prints JSON: \(check.stdout.prefix(200))")

            let audit = try cli.run(["audit", "--json"] + scope)
            #expect(audit.status == 0, "\(audit.stderr)")
            let events = (try? audit.json()) as? [[String: Any]] ?? []
            #expect(events.contains { $0["action"] as? String == "complete" && $0["table"] as? String == "appointment" },
                    "the audit log lists events written at 0001")

            let edit = try cli.run(["note", "edit", String(practice.signedNote), "--plan", "rewritten after the upgrade"] + scope)
            #expect(edit.status == 1 && edit.stderr.contains("signed"), "\(edit.stderr)")
            let shown = try cli.run(["note", "show", String(practice.signedNote), "--json"] + scope)
            #expect(shown.status == 0, "\(shown.stderr)")
            #expect((try? shown.object())?["plan"] as? String == "Continue 1–2 sessions weekly.")
            #expect(((try? shown.object())?["addenda"] as? [Any])?.count == 1)

            // The series' next visit is 10:00–11:00 with the course client's therapist.
            let at = "\(practice.bookedDate) 10:30"
            let sameTherapist = try cli.run(["appointment", "book", String(practice.decomposedClient),
                                             "--therapist", String(practice.bookedTherapist), "--at", at, "--minutes", "60"] + scope)
            #expect(sameTherapist.status == 1 && sameTherapist.stderr.contains("appointment \(practice.booked)"),
                    "\(sameTherapist.stderr)")
            let sameClient = try cli.run(["appointment", "book", String(practice.courseClient),
                                          "--therapist", String(practice.clearedTherapist), "--at", at, "--minutes", "60"] + scope)
            #expect(sameClient.status == 1 && sameClient.stderr.contains("appointment \(practice.booked)"), "\(sameClient.stderr)")
            let around = try cli.run(["appointment", "book", String(practice.clearedClient), "--therapist",
                                      String(practice.clearedTherapist), "--at", "\(practice.bookedDate) 14:00", "--json"] + scope)
            #expect(around.status == 0, "a new visit beside the migrated ones: \(around.stderr)")
        }
    }

    /// What 0010 filled in, as `practice` shows it: the client whose name was typed decomposed at
    /// 0001 is found by its NFC spelling and cannot be registered a second time, and the audit
    /// log's events written at 0001 are listed by client.
    static func theGapsLeftBeforeAreFilled(_ cli: CLI, _ practices: [MigratedPractice]) throws {
        for practice in practices {
            let scope = ["--practice", String(practice.id)]
            let search = try cli.run(["client", "list", "--search", practice.decomposedNameNFC, "--json"] + scope)
            #expect(search.status == 0, "\(search.stderr)")
            let found = ((try? search.json()) as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
            #expect(found == [Int(practice.decomposedClient)], "search \(practice.decomposedNameNFC): \(search.stdout)")

            let twin = try cli.run(["client", "add", "--name", practice.decomposedNameNFC, "--dob", "1985-06-15",
                                    "--pain-onset", practice.decomposedPainOnset] + scope)
            #expect(twin.status == 1 && twin.stderr.contains("already exists"),
                    "registered a second \(practice.decomposedNameNFC): \(twin.stdout)\(twin.stderr)")

            // The course client's events from 0001 (entities in the singular): registration,
            // screening, six completed visits, a prescription and a coordination letter.
            let audit = try cli.run(["audit", "--client", String(practice.courseClient), "--json"] + scope)
            #expect(audit.status == 0, "\(audit.stderr)")
            let events = (try? audit.json()) as? [[String: Any]] ?? []
            #expect(events.contains { $0["table"] as? String == "client" && $0["row_id"] as? Int == Int(practice.courseClient) },
                    "the client's registration, written at 0001")
            let singular: Set<String> = ["practice", "staff", "provider", "client", "screening", "clearance", "appointment",
                                         "referral_letter"]
            let at0001 = events.compactMap { $0["table"] as? String }.filter(singular.contains)
                .reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
            #expect(at0001 == ["client": 1, "screening": 1, "appointment": 6, "referral_letter": 2],
                    "practice \(practice.id): \(at0001)")
            #expect(events.allSatisfy { $0["client_id"] as? Int == Int(practice.courseClient) },
                    "practice \(practice.id): --client lists that client's events only")
        }
    }

    @Test func theScriptExplainsItselfAndRefusesBadUsage() throws {
        let cli = CLI(environment: [:])
        let help = try Self.upgrade(cli, ["--help"], extra: [:])
        #expect(help.status == 0 && help.stdout.contains("Usage: deploy/upgrade.sh") && help.stderr.isEmpty)
        for bad in [["--bogus"], ["--backup-dir"], ["--wait", "0"], ["--wait", "soon"], ["--env", "/x", "--no-env"],
                    ["--no-backup", "--backup-dir", "/tmp/x"]] {
            let run = try Self.upgrade(cli, bad, extra: [:])
            #expect(run.status == 64, "\(bad): \(run.status)")
            #expect(run.stderr.split(separator: "\n").count == 1 && run.stderr.contains("see --help"), "\(bad): \(run.stderr)")
        }
        let missing = try Self.upgrade(cli, ["--practice", "/nonexistent/practice", "--no-env", "--no-restart"], extra: [:])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/practice"), "\(missing.stderr)")
        #expect(missing.stderr.split(separator: "\n").count == 1)
    }
}
