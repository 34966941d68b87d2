import Foundation
import Logging
import PostgresNIO
import PracticeCore

/// A large practice made in bulk for scale tests (`practice demo --scale CLIENTS`): therapists
/// with working hours, providers, clients in every pain-duration class, screenings (a few red
/// flags, most of them cleared by a physician's letter), weekly series of about ten visits over
/// the last two years and a few weeks ahead, cancellations, no-shows and reschedules, completed
/// sessions with pain before and after, pressure feedback, SOAP notes (signed, some with
/// addenda), letters and discharges.
///
/// Everything goes in through the real schema: row-level security, every CHECK, foreign key and
/// exclusion constraint, and every trigger (the audit log gets one event per row written, by the
/// statement-level audit triggers of migration 0013, notes
/// are inserted as drafts and signed by an UPDATE the signing trigger checks and stamps). The
/// SQL is set-based, `INSERT … SELECT` over `generate_series`, a chunk of clients per statement.
/// Nothing is random: every choice is arithmetic on the client's index (multiplicative hashing),
/// so the same arguments on an empty practice give the same rows, ids included.
///
/// How the caller runs it: create the practice first (as `practice setup` does), then run
/// `steps(…)` in order, all in ONE transaction, on one connection (the chunks hand each other
/// the range of client ids they wrote through a transaction-local setting). The first step sets
/// the settings the database's rules need, so the list is self-contained:
///   - `practice.practice_id`: row-level security admits only this practice's rows;
///   - `practice.actor` (here `demo:scale` unless given): the audit trigger refuses a write
///     without one (SQLSTATE P0001, hint `audit_actor_missing`);
///   - `practice.staff_id`: optional for the triggers (the audit events' `staff_id` stays NULL
///     when it is empty); set to '' because no staff member acts;
///   - `plan_cache_mode = force_generic_plan`, for the triggers' own lookups. The audit trigger
///     finds a note's or a feedback entry's client with `WHERE practice_id = $1 AND id = $2` on
///     appointments, the note trigger the treating therapist the same way. PL/pgSQL plans
///     those with the values first, and for a practice the statistics have not seen yet (a new
///     practice next to a big one, e.g. the second of `--practices 2`, one transaction each)
///     the planner expects no rows and takes the (practice_id, starts_at) index, filtering on
///     id: every lookup reads all of the practice's visits so far. Measured on top of a
///     committed 100,000-client practice, 2,500 clients took 220 s instead of 16 s (4 ms per
///     note, 18 ms per addendum). The generic plan is the primary-key lookup. Transaction-local.
/// With `--practices N`, run each practice's list after the previous one, in the same
/// transaction: each list starts by pointing the settings at its own practice.
///
/// The practice must be new (no staff, clients or appointments yet): therapists are numbered in
/// id order and the schedule is laid out over all of them (so no two visits overlap), and a
/// chunk finds its clients again by name and date of birth and by their id range.
///
/// Statements are sized by `chunk`. Their cost is per row and does not grow with the practice:
/// on the 2-core development machine, idle, a chunk of 2,500 clients takes 15–27 s, 10–22 s of
/// it in the visits statement (~100,000 rows and as many audit events); with the per-row audit
/// trigger of 0006, 100,000 clients took 13 minutes, most of it auditing; 0013's statement-level
/// triggers cut that cost per row by 80–90 % (bench/results has the current figure). Under load a statement can take several
/// times that, so keep `chunk` small if the service's 120 s statement timeout applies.
public enum BulkDemo {
    // MARK: The plan

    /// Laid out per therapist: six one-hour rows a day (09, 10, 11, 13, 14, 15 h, Monday to
    /// Friday; lunch at 12; 08 and 16 h are kept free for reschedules), each row either five
    /// weekly lanes (one per weekday) or two twice-weekly lanes (Mon+Thu, Tue+Fri) and a
    /// Wednesday lane. A lane holds a client's course for 11 weeks (weekly, up to 11 visits) or
    /// 6 weeks (twice weekly, up to 10 visits), then the next client's: 45 courses per row over
    /// the 108-week window, 270 per therapist, about 28 visits a week when full.
    public static let coursesPerTherapist = 270

    /// Therapists needed for `clients`: lanes filled to about 93 %.
    public static func therapists(forClients clients: Int) -> Int {
        max(1, (clients + 249) / 250)
    }

    /// Front-desk staff: one per eight therapists, at least one.
    public static func frontDesk(forTherapists therapists: Int) -> Int {
        max(1, therapists / 8)
    }

    /// Physicians, physical therapists and spine specialists the clients' letters go to and come from.
    public static func providers(forClients clients: Int) -> (physicians: Int, physicalTherapists: Int, spineSpecialists: Int) {
        (10 + clients / 2_500, 5 + clients / 5_000, 3 + clients / 10_000)
    }

    /// One statement of the fill, and its share of the work to weigh a progress bar by (about
    /// the milliseconds per 10 clients it took on the development machine).
    public struct Step: Sendable {
        public var label: String
        public var weight: Int
        public var query: PostgresQuery
    }

    /// The statements that fill practice `practiceID` with `clients` clients, in order. Run them
    /// in one transaction on one connection (see the type's comment). `now` is the clock the
    /// rows are placed around: two years of history before it, about three weeks ahead.
    public static func steps(practiceID: Int64, clients: Int, chunk: Int = 2_500, now: PracticeNow,
                             actor: String = "demo:scale") -> [Step] {
        precondition(clients > 0 && chunk > 0, "clients and chunk must be positive")
        let therapists = therapists(forClients: clients)
        let frontDesk = frontDesk(forTherapists: therapists)
        let providers = providers(forClients: clients)
        let parameters = Parameters(practiceID: practiceID, timeZone: now.timeZone, now: now.instant,
                                    today: now.today.description, therapists: therapists, frontDesk: frontDesk,
                                    physicians: providers.physicians, physicalTherapists: providers.physicalTherapists,
                                    spineSpecialists: providers.spineSpecialists)
        var steps: [Step] = [
            Step(label: "settings", weight: 1, query: """
                SELECT set_config('practice.practice_id', \(String(practiceID)), true),
                       set_config('practice.actor', \(actor), true),
                       set_config('practice.staff_id', '', true),
                       set_config('plan_cache_mode', 'force_generic_plan', true)
                """),
            // Keeps autovacuum off the tables the fill reads back (see `lockTables`). LOCK also
            // fails outside a transaction block, which catches a caller running the steps one by one.
            Step(label: "locks", weight: 1, query: PostgresQuery(unsafeSQL: lockTables)),
            Step(label: "staff and working hours", weight: 1 + therapists / 5, query: query(staffSQL, parameters)),
            Step(label: "providers", weight: 1, query: query(providersSQL, parameters)),
        ]
        var first = 0
        while first < clients {
            let stop = min(first + chunk, clients)
            let n = stop - first
            let range = "clients \(first + 1)–\(stop)"
            steps.append(Step(label: "\(range): clients, screenings, letters", weight: 1 + 4 * n / 10,
                              query: query(clientsSQL, parameters, first: first, stop: stop)))
            steps.append(Step(label: "\(range): visits, pain scores, feedback, notes", weight: 1 + 56 * n / 10,
                              query: query(visitsSQL, parameters, first: first, stop: stop)))
            steps.append(Step(label: "\(range): signing notes", weight: 1 + 18 * n / 10,
                              query: query(signSQL, parameters, first: first, stop: stop)))
            steps.append(Step(label: "\(range): addenda", weight: 1 + n / 30,
                              query: query(addendaSQL, parameters, first: first, stop: stop)))
            first = stop
        }
        return steps
    }

    /// Runs `steps` on `connection`, inside the caller's transaction, reporting progress as
    /// (work done, total work, the step about to run); returns what the practice then holds.
    public static func fill(practiceID: Int64, clients: Int, chunk: Int = 2_500, now: PracticeNow,
                            actor: String = "demo:scale", on connection: PostgresConnection, logger: Logger,
                            progress: (_ done: Int, _ total: Int, _ label: String) -> Void = { _, _, _ in }) async throws -> Counts {
        let steps = steps(practiceID: practiceID, clients: clients, chunk: chunk, now: now, actor: actor)
        let total = steps.reduce(0) { $0 + $1.weight }
        var done = 0
        for step in steps {
            progress(done, total, step.label)
            let rows = try await connection.query(step.query, logger: logger)
            for try await _ in rows {}
            done += step.weight
        }
        progress(total, total, "done")
        return try await counts(practiceID: practiceID, timeZone: now.timeZone, on: connection, logger: logger)
    }

    // MARK: What it made

    public struct Counts: Sendable, Codable, Equatable {
        public var clients: Int
        /// By pain onset against the first visit (or, never seen, against the screening).
        public var acute: Int
        public var subAcute: Int
        public var chronic: Int
        public var therapists: Int
        public var staff: Int
        public var providers: Int
        public var screenings: Int
        public var redFlags: Int
        public var clearances: Int
        public var series: Int
        /// Appointments of every status.
        public var sessions: Int
        public var completed: Int
        public var cancelled: Int
        public var noShows: Int
        public var booked: Int
        public var checkedIn: Int
        /// Visits moved once (each has its `appointment_moves` row).
        public var rescheduled: Int
        public var painReports: Int
        public var pressureFeedback: Int
        public var notes: Int
        public var signedNotes: Int
        public var addenda: Int
        public var letters: Int
        public var discharged: Int
        public var auditEvents: Int
    }

    public static func counts(practiceID: Int64, timeZone: String, on connection: PostgresConnection,
                              logger: Logger) async throws -> Counts {
        let p = practiceID
        let rows = try await connection.query("""
            WITH onset AS (
                SELECT c.pain_onset, coalesce((SELECT (min(a.starts_at) AT TIME ZONE \(timeZone))::date FROM appointments a
                                               WHERE a.practice_id = c.practice_id AND a.client_id = c.id),
                                              (SELECT (min(s.screened_at) AT TIME ZONE \(timeZone))::date FROM screenings s
                                               WHERE s.practice_id = c.practice_id AND s.client_id = c.id)) AS seen,
                       pr.acute_weeks, pr.chronic_weeks
                FROM clients c JOIN practices pr ON pr.id = c.practice_id
                WHERE c.practice_id = \(p)
            ), appts AS (
                SELECT count(*)::int AS total,
                       count(*) FILTER (WHERE status = 'completed')::int AS completed,
                       count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
                       count(*) FILTER (WHERE status = 'no_show')::int AS no_shows,
                       count(*) FILTER (WHERE status = 'booked')::int AS booked,
                       count(*) FILTER (WHERE status = 'checked_in')::int AS checked_in
                FROM appointments WHERE practice_id = \(p)
            ), notes AS (
                SELECT count(*)::int AS total, count(signed_at)::int AS signed FROM session_notes WHERE practice_id = \(p)
            )
            SELECT
                (SELECT count(*)::int FROM onset),
                (SELECT count(*)::int FROM onset WHERE seen - pain_onset < acute_weeks * 7),
                (SELECT count(*)::int FROM onset WHERE seen - pain_onset >= acute_weeks * 7 AND seen - pain_onset < chronic_weeks * 7),
                (SELECT count(*)::int FROM onset WHERE seen - pain_onset >= chronic_weeks * 7),
                (SELECT count(*)::int FROM staff WHERE practice_id = \(p) AND role = 'therapist'),
                (SELECT count(*)::int FROM staff WHERE practice_id = \(p)),
                (SELECT count(*)::int FROM providers WHERE practice_id = \(p)),
                (SELECT count(*)::int FROM screenings WHERE practice_id = \(p)),
                (SELECT count(*)::int FROM screenings WHERE practice_id = \(p) AND has_red_flag),
                (SELECT count(*)::int FROM clearances WHERE practice_id = \(p)),
                (SELECT count(*)::int FROM appointment_series WHERE practice_id = \(p)),
                appts.total, appts.completed, appts.cancelled, appts.no_shows, appts.booked, appts.checked_in,
                (SELECT count(DISTINCT appointment_id)::int FROM appointment_moves WHERE practice_id = \(p)),
                (SELECT count(*)::int FROM pain_reports WHERE practice_id = \(p)),
                (SELECT count(*)::int FROM pressure_feedback WHERE practice_id = \(p)),
                notes.total, notes.signed,
                (SELECT count(*)::int FROM note_addenda WHERE practice_id = \(p)),
                (SELECT count(*)::int FROM referral_letters WHERE practice_id = \(p)),
                (SELECT count(*)::int FROM client_discharges WHERE practice_id = \(p) AND readmitted_on IS NULL),
                (SELECT count(*)::int FROM audit_events WHERE practice_id = \(p))
            FROM appts, notes
            """, logger: logger)
        for try await (clients, acute, subAcute, chronic, therapists, staff, providers, screenings, redFlags, clearances, series,
                       sessions, completed, cancelled, noShows, booked, checkedIn, rescheduled, pain, feedback, notes, signed,
                       addenda, letters, discharged, audit)
            in rows.decode((Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int,
                            Int, Int, Int, Int, Int, Int).self) {
            return Counts(clients: clients, acute: acute, subAcute: subAcute, chronic: chronic, therapists: therapists,
                          staff: staff, providers: providers, screenings: screenings, redFlags: redFlags,
                          clearances: clearances, series: series, sessions: sessions, completed: completed,
                          cancelled: cancelled, noShows: noShows, booked: booked, checkedIn: checkedIn,
                          rescheduled: rescheduled, painReports: pain, pressureFeedback: feedback, notes: notes,
                          signedNotes: signed, addenda: addenda, letters: letters, discharged: discharged,
                          auditEvents: audit)
        }
        throw PracticeError.database("the counts were not returned")
    }

    // MARK: Parameters

    struct Parameters: Sendable {
        var practiceID: Int64
        var timeZone: String
        var now: Date
        /// The practice's local date at `now`, `YYYY-MM-DD`.
        var today: String
        var therapists: Int
        var frontDesk: Int
        var physicians: Int
        var physicalTherapists: Int
        var spineSpecialists: Int
    }

    /// Every statement starts with the same one-row CTE `prm` holding the bind parameters; the
    /// rest of its text (`body`, which continues the WITH list) is a constant with no parameters.
    ///
    /// The integers are written into the text (they are Ints: nothing to escape) rather than
    /// bound: the settings step turns on `force_generic_plan` (see there), which would plan a
    /// bound `generate_series($5, $6)` as 1,000 rows of unknown clients and the practice as any
    /// practice; as literals the planner sees the chunk's size and the practice.
    static func query(_ body: String, _ p: Parameters, first: Int = 0, stop: Int = 0) -> PostgresQuery {
        """
        WITH prm AS NOT MATERIALIZED (
            SELECT \(unescaped: String(p.practiceID))::bigint AS pid, \(p.timeZone)::text AS tz, \(p.now)::timestamptz AS now,
                   \(p.today)::date AS today, \(unescaped: String(first))::bigint AS first, \(unescaped: String(stop))::bigint AS stop,
                   \(unescaped: String(p.therapists))::int AS therapists, \(unescaped: String(p.frontDesk))::int AS front_desk,
                   \(unescaped: String(p.physicians))::int AS physicians, \(unescaped: String(p.physicalTherapists))::int AS physios,
                   \(unescaped: String(p.spineSpecialists))::int AS spines,
                   \(firstNames.map(\.display))::text[] AS firsts, \(firstNames.map(\.ascii))::text[] AS firsts_ascii,
                   \(lastNames.map(\.display))::text[] AS lasts, \(lastNames.map(\.ascii))::text[] AS lasts_ascii
        )
        \(unescaped: body)
        """
    }

    /// While the fill runs, autovacuum must not VACUUM or ANALYZE the tables it reads back: it
    /// would count the fill's uncommitted rows as absent and record the tables as empty
    /// (`reltuples` 0 over many pages), and every plan made after that, the foreign-key checks'
    /// included, would treat them as empty: we measured a 5,000-client chunk going from 37 s to
    /// over 15 minutes once that happened (after an earlier run was rolled back). SHARE UPDATE
    /// EXCLUSIVE keeps VACUUM, ANALYZE and DDL away and lets reads and writes through; the app
    /// role may take it on the tables it may UPDATE, which are the ones looked up.
    static let lockTables = """
        LOCK TABLE staff, providers, clients, appointment_series, appointments, session_notes, referral_letters
            IN SHARE UPDATE EXCLUSIVE MODE
        """

    // MARK: Names
    //
    // A client's name is first × last by index, and (name, date of birth) is unique by
    // construction: index i → r = i mod (F·L), q = i div (F·L); the first name is r mod F, the
    // last (r div F + 7·(r mod F)) mod L (a bijection of r), and the birth date is
    // 1944-01-01 + (3001·q + 37·r) mod 21900 days, which differs for equal r and different q
    // (3001 is prime to 21900). Staff names are taken from the other end of the same space.
    // Names are NFC (the schema checks it); `ascii` is for e-mail addresses.

    static let firstNames: [(display: String, ascii: String)] = [
        ("James", "james"), ("Mary", "mary"), ("Robert", "robert"), ("Patricia", "patricia"), ("John", "john"),
        ("Jennifer", "jennifer"), ("Michael", "michael"), ("Linda", "linda"), ("David", "david"), ("Elizabeth", "elizabeth"),
        ("William", "william"), ("Barbara", "barbara"), ("Richard", "richard"), ("Susan", "susan"), ("Joseph", "joseph"),
        ("Jessica", "jessica"), ("Thomas", "thomas"), ("Sarah", "sarah"), ("Christopher", "christopher"), ("Karen", "karen"),
        ("Daniel", "daniel"), ("Lisa", "lisa"), ("Matthew", "matthew"), ("Nancy", "nancy"), ("Anthony", "anthony"),
        ("Sandra", "sandra"), ("Mark", "mark"), ("Ashley", "ashley"), ("Steven", "steven"), ("Emily", "emily"),
        ("Andrew", "andrew"), ("Michelle", "michelle"), ("Joshua", "joshua"), ("Amanda", "amanda"), ("Kevin", "kevin"),
        ("Melissa", "melissa"), ("Brian", "brian"), ("Stephanie", "stephanie"), ("George", "george"), ("Rebecca", "rebecca"),
        ("Timothy", "timothy"), ("Laura", "laura"), ("Jason", "jason"), ("Sharon", "sharon"), ("Ryan", "ryan"),
        ("Cynthia", "cynthia"), ("Jacob", "jacob"), ("Kathleen", "kathleen"), ("Gary", "gary"), ("Amy", "amy"),
        ("Nicholas", "nicholas"), ("Angela", "angela"), ("Eric", "eric"), ("Anna", "anna"), ("Jonathan", "jonathan"),
        ("Brenda", "brenda"), ("Justin", "justin"), ("Pamela", "pamela"), ("Samuel", "samuel"), ("Nicole", "nicole"),
        ("Benjamin", "benjamin"), ("Samantha", "samantha"), ("Aaron", "aaron"), ("Katherine", "katherine"), ("Carlos", "carlos"),
        ("Maria", "maria"), ("Luis", "luis"), ("Ana", "ana"), ("José", "jose"), ("Sofía", "sofia"),
        ("Wei", "wei"), ("Mei", "mei"), ("Hiroshi", "hiroshi"), ("Yuki", "yuki"), ("Priya", "priya"),
        ("Arjun", "arjun"), ("Fatima", "fatima"), ("Omar", "omar"), ("Aisha", "aisha"), ("Kwame", "kwame"),
        ("Amara", "amara"), ("Chloé", "chloe"), ("Zoë", "zoe"), ("Björn", "bjorn"), ("Siobhán", "siobhan"),
        ("Renée", "renee"), ("Noah", "noah"), ("Olivia", "olivia"), ("Liam", "liam"), ("Emma", "emma"),
        ("Mateo", "mateo"), ("Isabella", "isabella"), ("Ethan", "ethan"), ("Ava", "ava"), ("Lucas", "lucas"),
        ("Mia", "mia"), ("Elena", "elena"), ("Hugo", "hugo"), ("Inês", "ines"), ("Tariq", "tariq"),
    ]

    static let lastNames: [(display: String, ascii: String)] = [
        ("Smith", "smith"), ("Johnson", "johnson"), ("Williams", "williams"), ("Brown", "brown"), ("Jones", "jones"),
        ("Garcia", "garcia"), ("Miller", "miller"), ("Davis", "davis"), ("Rodriguez", "rodriguez"), ("Martinez", "martinez"),
        ("Hernandez", "hernandez"), ("Lopez", "lopez"), ("Gonzalez", "gonzalez"), ("Wilson", "wilson"), ("Anderson", "anderson"),
        ("Thomas", "thomas"), ("Taylor", "taylor"), ("Moore", "moore"), ("Jackson", "jackson"), ("Martin", "martin"),
        ("Lee", "lee"), ("Perez", "perez"), ("Thompson", "thompson"), ("White", "white"), ("Harris", "harris"),
        ("Sanchez", "sanchez"), ("Clark", "clark"), ("Ramirez", "ramirez"), ("Lewis", "lewis"), ("Robinson", "robinson"),
        ("Walker", "walker"), ("Young", "young"), ("Allen", "allen"), ("King", "king"), ("Wright", "wright"),
        ("Scott", "scott"), ("Torres", "torres"), ("Nguyen", "nguyen"), ("Hill", "hill"), ("Flores", "flores"),
        ("Green", "green"), ("Adams", "adams"), ("Nelson", "nelson"), ("Baker", "baker"), ("Hall", "hall"),
        ("Rivera", "rivera"), ("Campbell", "campbell"), ("Mitchell", "mitchell"), ("Carter", "carter"), ("Roberts", "roberts"),
        ("Gomez", "gomez"), ("Phillips", "phillips"), ("Evans", "evans"), ("Turner", "turner"), ("Diaz", "diaz"),
        ("Parker", "parker"), ("Cruz", "cruz"), ("Edwards", "edwards"), ("Collins", "collins"), ("Reyes", "reyes"),
        ("Stewart", "stewart"), ("Morris", "morris"), ("Morales", "morales"), ("Murphy", "murphy"), ("Cook", "cook"),
        ("Rogers", "rogers"), ("Gutierrez", "gutierrez"), ("Ortiz", "ortiz"), ("Morgan", "morgan"), ("Cooper", "cooper"),
        ("Peterson", "peterson"), ("Bailey", "bailey"), ("Reed", "reed"), ("Kelly", "kelly"), ("Howard", "howard"),
        ("Ramos", "ramos"), ("Kim", "kim"), ("Cox", "cox"), ("Ward", "ward"), ("Richardson", "richardson"),
        ("Watson", "watson"), ("Brooks", "brooks"), ("Chavez", "chavez"), ("Wood", "wood"), ("James", "james"),
        ("Bennett", "bennett"), ("Gray", "gray"), ("Mendoza", "mendoza"), ("Ruiz", "ruiz"), ("Hughes", "hughes"),
        ("Price", "price"), ("Alvarez", "alvarez"), ("Castillo", "castillo"), ("Sanders", "sanders"), ("Patel", "patel"),
        ("Myers", "myers"), ("Long", "long"), ("Ross", "ross"), ("Foster", "foster"), ("Jimenez", "jimenez"),
        ("O'Connor", "oconnor"), ("O'Brien", "obrien"), ("MacDonald", "macdonald"), ("Schmidt", "schmidt"), ("Müller", "muller"),
        ("Fischer", "fischer"), ("Weber", "weber"), ("Rossi", "rossi"), ("Russo", "russo"), ("Bianchi", "bianchi"),
        ("Dubois", "dubois"), ("Lefèvre", "lefevre"), ("Moreau", "moreau"), ("Novak", "novak"), ("Kowalski", "kowalski"),
        ("Nowak", "nowak"), ("Svensson", "svensson"), ("Lindqvist", "lindqvist"), ("Hansen", "hansen"), ("Jensen", "jensen"),
        ("Larsen", "larsen"), ("Tanaka", "tanaka"), ("Suzuki", "suzuki"), ("Sato", "sato"), ("Watanabe", "watanabe"),
        ("Chen", "chen"), ("Wang", "wang"), ("Zhang", "zhang"), ("Liu", "liu"), ("Singh", "singh"),
        ("Kumar", "kumar"), ("Sharma", "sharma"), ("Haddad", "haddad"), ("Khalil", "khalil"), ("Okafor", "okafor"),
        ("Mensah", "mensah"), ("Adeyemi", "adeyemi"), ("Costa", "costa"), ("Silva", "silva"), ("Santos", "santos"),
        ("Pereira", "pereira"), ("Núñez", "nunez"), ("Ångström", "angstrom"), ("Delgado", "delgado"), ("Herrera", "herrera"),
        ("Medina", "medina"), ("Vargas", "vargas"), ("Castro", "castro"), ("Romero", "romero"), ("Fernández", "fernandez"),
        ("Ibrahim", "ibrahim"), ("Cohen", "cohen"), ("Levi", "levi"), ("Kaplan", "kaplan"), ("Friedman", "friedman"),
    ]

    // MARK: SQL
    //
    // The bodies below continue `WITH prm AS (…)` (see `query`). They use no backslashes, so
    // their text is exactly what PostgreSQL receives.

    /// An NPI's check digit, for a 9-digit `base`: Luhn over "80840" + base (the prefix adds 24).
    /// Used as `CROSS JOIN LATERAL (…) AS luhn` with `b.base` in scope.
    static let luhn = """
        (SELECT (10 - (24 + sum(CASE WHEN q.k % 2 = 1 THEN (2 * q.d) / 10 + (2 * q.d) % 10 ELSE q.d END)) % 10) % 10 AS check_digit
         FROM (SELECT k, substr(b.base, k, 1)::int AS d FROM generate_series(1, 9) AS k) AS q)
        """

    /// Owner, front desk and therapists; therapists work Monday to Friday, 08–12 and 13–17 h.
    static let staffSQL = """
        , slug AS (
            SELECT coalesce(nullif(btrim(lower(regexp_replace(p.name, '[^A-Za-z0-9]+', '-', 'g')), '-'), ''), 'practice-' || p.id) AS domain
            FROM practices AS p, prm WHERE p.id = prm.pid
        ), people AS (
            SELECT j, CASE WHEN j = 0 THEN 'owner' WHEN j <= prm.front_desk THEN 'front_desk' ELSE 'therapist' END AS role,
                   nm.a, nm.b
            FROM prm, generate_series(0, prm.front_desk + prm.therapists) AS j,
                 LATERAL (SELECT cardinality(prm.firsts) * cardinality(prm.lasts) - 1 - j AS r) AS x,
                 LATERAL (SELECT x.r % cardinality(prm.firsts) AS a,
                                 (x.r / cardinality(prm.firsts) + 7 * (x.r % cardinality(prm.firsts))) % cardinality(prm.lasts) AS b) AS nm
        ), st AS (
            INSERT INTO staff (practice_id, name, role, msk_years, email, npi, license, created_at)
            SELECT prm.pid, prm.firsts[pe.a + 1] || ' ' || prm.lasts[pe.b + 1], pe.role,
                   CASE WHEN pe.role <> 'front_desk' THEN 1 + (pe.j * 7) % 24 + (pe.j % 2) * 0.5 END,
                   prm.firsts_ascii[pe.a + 1] || '.' || prm.lasts_ascii[pe.b + 1] || '@' || slug.domain || '.example.com',
                   CASE WHEN pe.role = 'therapist' THEN b.base || luhn.check_digit END,
                   CASE WHEN pe.role = 'therapist' THEN 'LMT-' || (30000 + pe.j) END,
                   least(prm.now, ((prm.today - 760 - pe.j % 365) + time '09:00') AT TIME ZONE prm.tz)
            FROM prm, slug, people AS pe,
                 LATERAL (SELECT (100000000 + (prm.pid * 1000003 + pe.j * 104729 + 7) % 200000000)::text AS base) AS b,
                 LATERAL
        """ + luhn + """
         AS luhn
            ORDER BY pe.j
            RETURNING id, role
        ), wh AS (
            INSERT INTO working_hours (practice_id, therapist_id, weekday, starts, ends)
            SELECT prm.pid, st.id, d, h.starts, h.ends
            FROM prm, st, generate_series(1, 5) AS d, (VALUES (time '08:00', time '12:00'), (time '13:00', time '17:00')) AS h(starts, ends)
            WHERE st.role = 'therapist'
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM st) AS staff, (SELECT count(*) FROM wh) AS working_hours
        """

    /// Physicians (prescriptions, clearances), physical therapists (coordination notes) and
    /// spine specialists (referrals), with valid NPIs, unique in the practice.
    static let providersSQL = """
        , kinds AS (
            SELECT j, CASE WHEN j < prm.physicians THEN 'physician'
                           WHEN j < prm.physicians + prm.physios THEN 'physical_therapist'
                           ELSE 'spine_specialist' END AS kind,
                   (j * 7 + 1234) % (cardinality(prm.firsts) * cardinality(prm.lasts)) AS r
            FROM prm, generate_series(0, prm.physicians + prm.physios + prm.spines - 1) AS j
        ), pv AS (
            INSERT INTO providers (practice_id, name, kind, npi, clinic, phone, fax, email, created_at)
            SELECT prm.pid,
                   CASE WHEN k.kind = 'physical_therapist' THEN fn || ' ' || ln || ', PT' ELSE 'Dr. ' || fn || ' ' || ln END,
                   k.kind, b.base || luhn.check_digit,
                   CASE k.kind
                       WHEN 'physician' THEN (ARRAY['Riverside Family Medicine', 'Northside Internal Medicine', 'Lakeview Primary Care',
                                                    'Hudson Valley Medical Group', 'Parkside Family Practice', 'Maple Street Clinic',
                                                    'Harbor Health Associates', 'Cedar Grove Medical'])[1 + k.j % 8]
                       WHEN 'physical_therapist' THEN (ARRAY['MoveWell Physical Therapy', 'Core Motion PT', 'Back in Action Rehab',
                                                             'Active Spine Physical Therapy', 'Summit Rehabilitation'])[1 + k.j % 5]
                       ELSE (ARRAY['Hudson Spine Center', 'Metro Spine & Orthopedics', 'Northeast Spine Institute'])[1 + k.j % 3]
                   END,
                   format('(%s) %s-%s', (ARRAY['212', '518', '646', '718', '914'])[1 + k.j % 5], 200 + (k.j * 37) % 800,
                          lpad(((k.j * 7919) % 10000)::text, 4, '0')),
                   format('(%s) %s-%s', (ARRAY['212', '518', '646', '718', '914'])[1 + k.j % 5], 200 + (k.j * 37) % 800,
                          lpad(((k.j * 7919 + 1) % 10000)::text, 4, '0')),
                   CASE WHEN k.j % 3 = 0 THEN 'referrals.' || (k.j + 1) || '@clinic.example.org' END,
                   least(prm.now, ((prm.today - 800 + k.j % 30) + time '10:00') AT TIME ZONE prm.tz)
            FROM prm, kinds AS k,
                 LATERAL (SELECT prm.firsts[1 + k.r % cardinality(prm.firsts)] AS fn,
                                 prm.lasts[1 + (k.r / cardinality(prm.firsts) + 7 * (k.r % cardinality(prm.firsts))) % cardinality(prm.lasts)] AS ln) AS nm,
                 LATERAL (SELECT (100000000 + (prm.pid * 1000003 + k.j * 104729 + 99991) % 200000000)::text AS base) AS b,
                 LATERAL
        """ + luhn + """
         AS luhn
            ORDER BY k.j
            RETURNING 1
        )
        SELECT count(*) AS providers FROM pv
        """

    /// The plan for clients `prm.first ..< prm.stop`: who they are, their therapist, lane and
    /// course, their pain and their paperwork. Shared by the clients and the visits statements,
    /// which must compute the same plan (they join on name and date of birth).
    ///
    /// Hashes: h1, h2, h3 are multiplicative hashes of the index; each decision reads its own
    /// digits of one of them. Shares: 18 % acute, 22 % sub-acute, 60 % chronic at the first
    /// visit; 2 % red flags (three in four cleared by a physician's letter, the rest never
    /// booked); 55 % insured (a prescription on file, sessions billed with a CPT code); visits
    /// per course 3 (6 %), 6 (6 %), 8 (8 %), 10 (50 %), 11 weekly or 10 twice weekly (30 %);
    /// pain response: 60 % improve about half a point a visit, 22 % a fifth, 18 % not at all.
    static let planSQL = """
        , dims AS MATERIALIZED (
            SELECT x.ths, cardinality(x.ths) AS nth, cardinality(prm.firsts) AS nf, cardinality(prm.lasts) AS nl,
                   date_trunc('week', prm.today)::date - 728 AS w0
            FROM prm, LATERAL (SELECT array_agg(s.id ORDER BY s.id) AS ths FROM staff AS s
                               WHERE s.practice_id = prm.pid AND s.role = 'therapist') AS x
        ), p0 AS (
            SELECT g.i, d.w0, d.ths[(g.i % d.nth)::int + 1] AS therapist_id,
                   (g.i * 2654435761 + 97) % 4294967291 AS h1,
                   ((g.i + 12345) * 2246822519) % 4294967279 AS h2,
                   ((g.i + 777) * 3266489917) % 4294967291 AS h3,
                   (g.i % d.nth)::int AS t, (g.i / d.nth)::int AS r,
                   g.i % (d.nf * d.nl) AS r2, (g.i / (d.nf * d.nl))::int AS q, d.nf, d.nl
            FROM prm, dims AS d, generate_series(prm.first, prm.stop - 1) AS g(i)
        ), p1 AS (
            SELECT p0.*, x.lrow, x.twice,
                   CASE WHEN NOT x.twice THEN x.c / 9 + 1 WHEN x.c < 36 THEN 1 + x.c / 18 ELSE 3 END AS wd1,
                   CASE WHEN x.twice AND x.c < 36 THEN 4 + x.c / 18 END AS wd2,
                   CASE WHEN NOT x.twice THEN (p0.t * 7 + x.lrow * 3 + x.c / 9) % 10 + (x.c % 9) * 11
                        WHEN x.c < 36 THEN (x.c % 18) * 6
                        ELSE (p0.t * 7 + x.lrow * 3 + 2) % 10 + (x.c - 36) * 11 END AS start_week,
                   (ARRAY[9, 10, 11, 13, 14, 15])[x.lrow + 1] AS hour,
                   (p0.h2 / 100000) % 100 < 2 AS flagged,
                   (p0.h2 / 10000000) % 100 < 75 AS cleared,
                   (p0.h1 / 10000) % 100 AS resp,
                   p0.r2 % p0.nf AS a, (p0.r2 / p0.nf + 7 * (p0.r2 % p0.nf)) % p0.nl AS b
            FROM p0, LATERAL (SELECT p0.r % 6 AS lrow, ((p0.r / 6) * 17) % 45 AS c, (p0.t + p0.r % 6) % 3 = 0 AS twice) AS x
        ), p2 AS (
            SELECT p1.*,
                   CASE WHEN p1.flagged AND NOT p1.cleared THEN 0
                        WHEN p1.h1 % 100 < 6 THEN 3 WHEN p1.h1 % 100 < 12 THEN 6 WHEN p1.h1 % 100 < 20 THEN 8
                        WHEN p1.h1 % 100 < 70 OR p1.wd2 IS NOT NULL THEN 10 ELSE 11 END AS nv,
                   CASE WHEN (p1.h1 / 100) % 100 < 50 THEN 60 WHEN (p1.h1 / 100) % 100 < 75 THEN 45
                        WHEN (p1.h1 / 100) % 100 < 88 THEN 30 WHEN (p1.h1 / 100) % 100 < 98 THEN 50 ELSE 25 END AS minutes,
                   CASE WHEN p1.resp < 60 THEN 5 WHEN p1.resp < 82 THEN 2 ELSE 0 END AS rate10,
                   4 + ((p1.h1 / 1000000) % 6)::int AS base,
                   ((p1.h1 / 100000000) % 7)::int AS tech,
                   (ARRAY[85, 95, 110, 120])[1 + (p1.h1 / 1000) % 4] AS fee_base,
                   CASE WHEN p1.h2 % 100 < 18 THEN 4 + (p1.h2 / 100) % 37
                        WHEN p1.h2 % 100 < 40 THEN 42 + (p1.h2 / 100) % 42
                        ELSE 84 + (p1.h2 / 100) % 2900 END::int AS onset_days,
                   ((p1.h2 / 1000) % 3)::int AS flag_kind,
                   (p1.h3 / 1000) % 100 < 10 AS night_pain,
                   (p1.h3 / 1000) % 100 >= 92 AS leg_numbness,
                   p1.h3 % 100 < 55 AS insured,
                   p1.w0 + 7 * p1.start_week + p1.wd1 - 1 AS first_date,
                   prm.firsts[p1.a + 1] || ' ' || prm.lasts[p1.b + 1] AS name,
                   date '1944-01-01' + ((p1.q * 3001 + p1.r2 * 37) % 21900)::int AS dob,
                   CASE WHEN (p1.h3 / 100) % 100 < 4 THEN NULL
                        ELSE format('(%s) %s-%s',
                                    (ARRAY['212', '315', '347', '516', '518', '585', '607', '631', '646', '716', '718', '845',
                                           '914', '917', '929'])[1 + (p1.h3 / 10) % 15],
                                    200 + ((p1.i * 7919 + 4242) % 8000000) / 10000,
                                    lpad((((p1.i * 7919 + 4242) % 8000000) % 10000)::text, 4, '0')) END AS phone,
                   CASE WHEN (p1.h3 / 100) % 100 BETWEEN 4 AND 11 THEN NULL
                        ELSE CASE (p1.h3 / 100000000) % 4
                                 WHEN 0 THEN prm.firsts_ascii[p1.a + 1] || '.' || prm.lasts_ascii[p1.b + 1]
                                 WHEN 1 THEN prm.firsts_ascii[p1.a + 1] || prm.lasts_ascii[p1.b + 1]
                                 WHEN 2 THEN left(prm.firsts_ascii[p1.a + 1], 1) || prm.lasts_ascii[p1.b + 1]
                                 ELSE prm.lasts_ascii[p1.b + 1] || '.' || prm.firsts_ascii[p1.a + 1] END
                             || p1.i || '@' || (ARRAY['example.com', 'example.net', 'example.org'])[1 + p1.i % 3] END AS email
            FROM prm, p1
        ), plan AS MATERIALIZED (
            SELECT p2.*, x.last_date, x.intake, x.cleared_on, p2.first_date - p2.onset_days AS onset,
                   least(prm.now, (x.intake + time '11:30') AT TIME ZONE prm.tz) AS registered_at,
                   least(prm.now, (x.intake + time '12:00') AT TIME ZONE prm.tz) AS screened_at,
                   least(prm.now, CASE WHEN p2.flagged THEN x.cleared_on + time '15:00' ELSE x.intake + time '12:15' END
                                  AT TIME ZONE prm.tz) AS booked_at,
                   p2.nv > 0 AND x.last_date < prm.today - 60 AND (p2.h3 / 10000) % 100 < 25 AS discharged,
                   x.last_date + 14 + ((p2.h3 / 10000) % 17)::int AS discharged_on
            FROM prm, p2,
                 LATERAL (SELECT p2.w0 + 7 * (p2.start_week + CASE WHEN p2.wd2 IS NULL THEN greatest(p2.nv - 1, 0)
                                                                 ELSE greatest(p2.nv - 1, 0) / 2 END)
                                 + CASE WHEN p2.wd2 IS NOT NULL AND greatest(p2.nv - 1, 0) % 2 = 1 THEN p2.wd2 ELSE p2.wd1 END - 1
                                   AS last_date,
                                 least(prm.today, p2.first_date - CASE WHEN p2.flagged THEN 14 ELSE 7 END) AS intake,
                                 least(prm.today, p2.first_date - 4) AS cleared_on) AS x
        )
        """

    /// Chunk, part 1: the clients, their screenings, physicians' clearances (letter and
    /// clearance), prescriptions, outgoing referrals and coordination notes, discharges, pain
    /// reported between visits. Leaves the chunk's client-id range in `bulkdemo.client_lo/hi`.
    static let clientsSQL = planSQL + """
        , ids AS MATERIALIZED (
            SELECT (SELECT array_agg(s.id ORDER BY s.id) FROM staff AS s
                    WHERE s.practice_id = prm.pid AND s.role = 'front_desk') AS desk,
                   (SELECT array_agg(v.id ORDER BY v.id) FROM providers AS v
                    WHERE v.practice_id = prm.pid AND v.kind = 'physician') AS physicians,
                   (SELECT array_agg(v.id ORDER BY v.id) FROM providers AS v
                    WHERE v.practice_id = prm.pid AND v.kind = 'physical_therapist') AS physios,
                   (SELECT array_agg(v.id ORDER BY v.id) FROM providers AS v
                    WHERE v.practice_id = prm.pid AND v.kind = 'spine_specialist') AS spines
            FROM prm
        ), cli AS (
            INSERT INTO clients (practice_id, name, date_of_birth, phone, email, pain_onset, primary_therapist_id, active, created_at)
            SELECT prm.pid, plan.name, plan.dob, plan.phone, plan.email, plan.onset, plan.therapist_id, NOT plan.discharged,
                   plan.registered_at
            FROM prm, plan
            ORDER BY plan.i
            RETURNING id, name, date_of_birth
        ), c AS (
            SELECT plan.*, cli.id AS client_id
            FROM cli JOIN plan ON plan.name = cli.name AND plan.dob = cli.date_of_birth
        ), scr AS (
            INSERT INTO screenings (practice_id, client_id, weight_loss_or_fever, bilateral_numbness_or_bowel_bladder,
                                    cancer_or_major_trauma, night_pain, leg_numbness, screened_by, screened_at, recorded_at)
            SELECT prm.pid, c.client_id, c.flagged AND c.flag_kind = 0, c.flagged AND c.flag_kind = 1,
                   c.flagged AND c.flag_kind = 2, c.night_pain, c.leg_numbness,
                   ids.desk[(c.i % cardinality(ids.desk))::int + 1], c.screened_at, c.screened_at
            FROM prm, ids, c
            ORDER BY c.i
            RETURNING id, client_id
        ), clet AS (
            INSERT INTO referral_letters (practice_id, client_id, provider_id, direction, kind, status, letter_date, body, created_at)
            SELECT prm.pid, c.client_id, ids.physicians[(c.i % cardinality(ids.physicians))::int + 1], 'incoming', 'clearance',
                   'received', c.cleared_on,
                   CASE c.flag_kind
                       WHEN 0 THEN 'Weight loss explained by a change of diet; no fever. No contraindication to massage.'
                       WHEN 1 THEN 'Examined: no saddle anaesthesia, bladder and bowel function normal. Cleared for massage.'
                       ELSE 'History reviewed; in remission for over five years. Cleared for therapeutic massage for low-back pain.'
                   END,
                   least(prm.now, (c.cleared_on + time '14:00') AT TIME ZONE prm.tz)
            FROM prm, ids, c
            WHERE c.flagged AND c.cleared
            ORDER BY c.i
            RETURNING id, client_id, provider_id, letter_date
        ), clr AS (
            INSERT INTO clearances (practice_id, client_id, screening_id, provider_id, provider_kind, cleared_on, note, letter_id,
                                    created_at)
            SELECT prm.pid, clet.client_id, scr.id, clet.provider_id, 'physician', clet.letter_date, 'clearance letter ' || clet.id,
                   clet.id, least(prm.now, (clet.letter_date + time '14:00') AT TIME ZONE prm.tz)
            FROM prm, clet JOIN scr ON scr.client_id = clet.client_id
            RETURNING 1
        ), rx AS (
            INSERT INTO referral_letters (practice_id, client_id, provider_id, direction, kind, status, letter_date, diagnosis_code,
                                          wording, sessions_authorised, valid_until, created_at)
            SELECT prm.pid, c.client_id, ids.physicians[(c.i * 7 % cardinality(ids.physicians))::int + 1], 'incoming',
                   'prescription', 'received', x.d,
                   (ARRAY['M54.50', 'M54.59', 'M54.51', 'M54.16', 'M54.17', 'M51.26', 'S39.012A'])[1 + (c.h3 / 10) % 7],
                   'therapeutic massage for low-back pain', (ARRAY[6, 8, 10, 12, 12, 20])[1 + (c.h2 / 10) % 6],
                   x.d + (ARRAY[90, 120, 180])[1 + (c.h1 / 10) % 3],
                   least(prm.now, (x.d + time '10:00') AT TIME ZONE prm.tz)
            FROM prm, ids, c,
                 LATERAL (SELECT least(prm.today, c.first_date - 5 - ((c.h3 / 100) % 10)::int) AS d) AS x
            WHERE c.insured AND c.nv > 0
            ORDER BY c.i
            RETURNING 1
        ), outgoing AS (
            SELECT c.i, c.client_id, ids.spines[(c.i % cardinality(ids.spines))::int + 1] AS provider_id, 'referral' AS kind, least(prm.today, c.last_date + 3) AS d,
                   'no-improvement' AS rule,
                   format('Referral for assessment by a spine specialist. %s has had low-back pain since %s and %s sessions of massage, 1-2 a week, without improvement in pain scores. Session notes and pain scores are enclosed.',
                          c.name, to_char(c.onset, 'FMMonth YYYY'), c.nv) AS body,
                   (c.h1 / 10000000) % 10 AS s
            FROM prm, ids, c
            WHERE c.rate10 = 0 AND c.nv >= 6 AND c.last_date + 3 <= prm.today AND (c.h3 / 100000) % 2 = 0
            UNION ALL
            SELECT c.i, c.client_id, ids.physios[(c.i % cardinality(ids.physios))::int + 1], 'coordination', c.first_date + 21, NULL,
                   format('Coordination note: %s is receiving massage for low-back pain, %s a week. Pain is easing; please continue the exercise program. I will keep sessions to 1-2 a week and share notes.',
                          c.name, CASE WHEN c.wd2 IS NULL THEN 'once' ELSE 'twice' END),
                   (c.h1 / 10000000) % 10 + 2
            FROM prm, ids, c
            WHERE (c.h3 / 1000000) % 100 BETWEEN 6 AND 13 AND c.nv >= 6 AND c.first_date + 21 <= prm.today
        ), outl AS (
            INSERT INTO referral_letters (practice_id, client_id, provider_id, direction, kind, status, letter_date, reason_rule, body,
                                          sent_at, acknowledged_at, created_at)
            SELECT prm.pid, o.client_id, o.provider_id, 'outgoing', o.kind, x.status, o.d, o.rule, o.body,
                   CASE WHEN x.status <> 'draft' THEN least(prm.now, (o.d + time '17:00') AT TIME ZONE prm.tz) END,
                   CASE WHEN x.status = 'acknowledged' THEN (o.d + 6 + time '10:00') AT TIME ZONE prm.tz END,
                   least(prm.now, (o.d + time '16:00') AT TIME ZONE prm.tz)
            FROM prm, outgoing AS o,
                 LATERAL (SELECT CASE WHEN o.s < 2 THEN 'draft' WHEN o.s >= 6 AND o.d + 7 <= prm.today THEN 'acknowledged'
                                      ELSE 'sent' END AS status) AS x
            ORDER BY o.i, o.kind
            RETURNING 1
        ), dis AS (
            INSERT INTO client_discharges (practice_id, client_id, discharged_on, reason, recorded_at)
            SELECT prm.pid, c.client_id, c.discharged_on,
                   CASE WHEN c.rate10 = 0 THEN 'no improvement; referred to a spine specialist'
                        ELSE (ARRAY['course complete', 'goals met', 'moved away', 'stopped attending'])[1 + (c.h2 / 10) % 4] END,
                   least(prm.now, (c.discharged_on + time '16:00') AT TIME ZONE prm.tz)
            FROM prm, c WHERE c.discharged
            ORDER BY c.i
            RETURNING 1
        ), selfrep AS (
            INSERT INTO pain_reports (practice_id, client_id, source, score, reported_at, created_at)
            SELECT prm.pid, c.client_id, 'self_reported', greatest(0, c.base - 1 - c.rate10 / 2), x.at, x.at
            FROM prm, c, LATERAL (SELECT (c.first_date + 10 + time '19:30') AT TIME ZONE prm.tz AS at) AS x
            WHERE c.nv >= 3 AND (c.h3 / 1000000) % 100 < 6 AND x.at <= prm.now
            ORDER BY c.i
            RETURNING 1
        )
        SELECT set_config('bulkdemo.client_lo', min(cli.id)::text, true) AS lo,
               set_config('bulkdemo.client_hi', max(cli.id)::text, true) AS hi
        FROM cli
        """

    /// Chunk, part 2: each client's weekly series and its visits, laid out in the client's lane;
    /// some moved to the therapist's free 08:00 or 16:00 hour that day (with the move recorded
    /// in `appointment_moves`); past visits completed, cancelled (5 %) or missed (3 %), a few
    /// left unrecorded; a visit under way checked in; future ones booked (3 % already
    /// cancelled). Completed visits get pain before and after, pressure feedback on one in
    /// three, and a SOAP note, drafted (signed in part 3; a draft with no plan yet stays unsigned).
    static let visitsSQL = planSQL + """
        , c AS (
            SELECT plan.*, cl.id AS client_id
            FROM plan
            CROSS JOIN LATERAL (
                SELECT x.id FROM clients AS x
                WHERE x.practice_id = (SELECT pid FROM prm) AND lower(x.name) = lower(plan.name) AND x.date_of_birth = plan.dob
                LIMIT 1  -- (practice, name, date of birth) is unique; LIMIT keeps this a per-client probe, estimated as such
            ) AS cl
            WHERE plan.nv > 0
        ), ser AS (
            INSERT INTO appointment_series (practice_id, client_id, therapist_id, weekdays, local_time, minutes, time_zone, starts_on,
                                            occurrence_count, created_at)
            SELECT prm.pid, c.client_id, c.therapist_id,
                   CASE WHEN c.wd2 IS NULL THEN ARRAY[c.wd1] ELSE ARRAY[c.wd1, c.wd2] END::smallint[],
                   make_time(c.hour, 0, 0), c.minutes, prm.tz, c.first_date, c.nv, c.booked_at
            FROM prm, c
            ORDER BY c.i
            RETURNING id, client_id
        ), v AS (
            SELECT c.i, c.client_id, c.therapist_id, ser.id AS series_id, c.minutes, c.booked_at, c.insured, c.tech, c.fee_base,
                   k.k, w.hv, o.orig_start, mv.moved, s.starts_at, e.ends_at, st.status,
                   CASE WHEN st.status = 'completed' THEN c.minutes - CASE WHEN w.hv % 10 = 0 THEN 5 ELSE 0 END END AS minutes_treated,
                   CASE WHEN st.status = 'completed' THEN e.ends_at + make_interval(mins => 5 + (w.hv % 20)::int) END AS completed_at,
                   greatest(1, least(10, c.base - (k.k * c.rate10) / 10
                                         + CASE (w.hv / 100) % 4 WHEN 0 THEN -1 WHEN 3 THEN 1 ELSE 0 END)) AS pain_before,
                   CASE c.rate10 WHEN 5 THEN 1 + (w.hv / 10000) % 2
                                 WHEN 2 THEN (w.hv / 10000) % 2 + CASE WHEN (w.hv / 1000000) % 3 = 0 THEN 1 ELSE 0 END
                                 ELSE (w.hv / 10000) % 2 END AS pain_drop
            FROM prm, c JOIN ser ON ser.client_id = c.client_id
            CROSS JOIN LATERAL generate_series(0, c.nv - 1) AS k(k)
            CROSS JOIN LATERAL (
                SELECT c.w0 + 7 * (c.start_week + CASE WHEN c.wd2 IS NULL THEN k.k ELSE k.k / 2 END)
                       + CASE WHEN c.wd2 IS NOT NULL AND k.k % 2 = 1 THEN c.wd2 ELSE c.wd1 END - 1 AS d,
                       ((c.i * 64 + k.k) * 2654435761 + 11) % 4294967291 AS hv) AS w
            CROSS JOIN LATERAL (
                SELECT CASE WHEN c.lrow = (c.t * 13 + (w.d - c.w0) * 7) % 6 AND (c.t * 5 + (w.d - c.w0) * 3) % 6 = 0 THEN 16
                            WHEN c.lrow = (c.t * 13 + (w.d - c.w0) * 7 + 3) % 6 AND (c.t * 3 + (w.d - c.w0)) % 8 = 0 THEN 8
                       END AS hour,
                       (w.d + make_time(c.hour, 0, 0)) AT TIME ZONE prm.tz AS orig_start) AS o
            CROSS JOIN LATERAL (SELECT o.hour IS NOT NULL AND o.orig_start - interval '2 days' <= prm.now AS moved) AS mv
            CROSS JOIN LATERAL (
                SELECT CASE WHEN mv.moved THEN (w.d + make_time(o.hour, 0, 0)) AT TIME ZONE prm.tz ELSE o.orig_start END AS starts_at) AS s
            CROSS JOIN LATERAL (SELECT s.starts_at + make_interval(mins => c.minutes) AS ends_at) AS e
            CROSS JOIN LATERAL (
                SELECT CASE
                    WHEN e.ends_at + interval '30 minutes' <= prm.now THEN
                        CASE WHEN w.hv % 100 < 5 THEN 'cancelled'
                             WHEN w.hv % 100 < 8 THEN 'no_show'
                             WHEN e.ends_at > prm.now - interval '14 days' AND w.hv % 250 = 0 THEN 'booked'
                             ELSE 'completed' END
                    WHEN s.starts_at <= prm.now THEN 'checked_in'
                    WHEN w.hv % 100 < 3 THEN 'cancelled'
                    ELSE 'booked' END AS status) AS st
        ), ap AS (
            INSERT INTO appointments (practice_id, client_id, therapist_id, series_id, starts_at, ends_at, status, minutes_treated,
                                      techniques, soreness, cpt_code, billable_units, fee, cancelled_at, completed_at,
                                      completion_recorded_at, checked_in_at, no_show_at, created_at)
            SELECT prm.pid, v.client_id, v.therapist_id, v.series_id, v.starts_at, v.ends_at, v.status, v.minutes_treated,
                   CASE WHEN v.status = 'completed' THEN
                       CASE (v.tech + CASE WHEN v.k % 3 = 2 THEN 1 ELSE 0 END) % 7
                           WHEN 0 THEN ARRAY['swedish'] WHEN 1 THEN ARRAY['deep_tissue', 'trigger_point']
                           WHEN 2 THEN ARRAY['myofascial_release'] WHEN 3 THEN ARRAY['swedish', 'deep_tissue']
                           WHEN 4 THEN ARRAY['trigger_point', 'myofascial_release'] WHEN 5 THEN ARRAY['mechanical_device', 'swedish']
                           ELSE ARRAY['swedish', 'other'] END END,
                   CASE WHEN v.status = 'completed' THEN
                       CASE WHEN (v.hv / 100) % 1000 < 15 THEN 'marked' WHEN (v.hv / 100) % 100 < 11 THEN 'mild' ELSE 'none' END END,
                   CASE WHEN v.status = 'completed' AND v.insured THEN CASE WHEN v.tech % 5 = 0 THEN '97140' ELSE '97124' END END,
                   CASE WHEN v.status = 'completed' AND v.insured THEN
                       CASE WHEN v.minutes_treated < 8 THEN 0 ELSE (v.minutes_treated + 7) / 15 END END,
                   CASE WHEN v.status = 'completed' THEN round(v.fee_base * v.minutes_treated / 300.0) * 5 END,
                   CASE WHEN v.status = 'cancelled' THEN
                       greatest(v.booked_at, least(prm.now, v.starts_at - make_interval(hours => 20 + ((v.hv / 100) % 60)::int))) END,
                   v.completed_at, v.completed_at,
                   CASE WHEN v.status = 'checked_in' THEN least(prm.now, v.starts_at - interval '5 minutes')
                        WHEN v.status = 'completed' AND v.hv % 5 <> 0 THEN v.starts_at - make_interval(mins => 2 + ((v.hv / 10) % 9)::int)
                   END,
                   CASE WHEN v.status = 'no_show' THEN v.starts_at + interval '20 minutes' END,
                   v.booked_at
            FROM prm, v
            ORDER BY v.starts_at, v.client_id
            RETURNING id, client_id, starts_at
        ), av AS (
            SELECT v.*, ap.id AS appointment_id
            FROM ap JOIN v ON v.client_id = ap.client_id AND v.starts_at = ap.starts_at
        ), moves AS (
            INSERT INTO appointment_moves (practice_id, appointment_id, old_starts_at, old_ends_at, moved_at)
            SELECT prm.pid, av.appointment_id, av.orig_start, av.orig_start + make_interval(mins => av.minutes),
                   greatest(av.booked_at, av.orig_start - interval '2 days')
            FROM prm, av WHERE av.moved
            ORDER BY av.appointment_id
            RETURNING 1
        ), pain AS (
            INSERT INTO pain_reports (practice_id, client_id, appointment_id, source, score, reported_at, created_at)
            SELECT prm.pid, av.client_id, av.appointment_id, ph.source,
                   CASE WHEN ph.source = 'before_session' THEN av.pain_before ELSE greatest(0, av.pain_before - av.pain_drop) END,
                   CASE WHEN ph.source = 'before_session' THEN av.starts_at ELSE av.completed_at END,
                   av.completed_at
            FROM prm, av CROSS JOIN (VALUES ('before_session'), ('after_session')) AS ph(source)
            WHERE av.status = 'completed'
            ORDER BY av.appointment_id, ph.source DESC
            RETURNING 1
        ), feedback AS (
            INSERT INTO pressure_feedback (practice_id, appointment_id, region, pressure, discomfort, action, note, recorded_at,
                                           created_at)
            SELECT prm.pid, av.appointment_id,
                   (ARRAY['lumbar_left', 'lumbar_right', 'thoracic', 'glutes', 'quadratus_lumborum', 'hips', 'hamstrings',
                          'other'])[1 + (av.hv / 7) % 8],
                   f.pressure, f.discomfort, f.action,
                   CASE WHEN f.discomfort > 5 AND f.action = 'held' THEN 'client asked to keep the pressure'
                        WHEN f.action = 'increased' THEN 'client asked for firmer pressure' END,
                   av.starts_at + make_interval(mins => (av.minutes * (20 + (av.hv % 60)::int)) / 100),
                   av.starts_at + make_interval(mins => (av.minutes * (20 + (av.hv % 60)::int)) / 100)
            FROM prm, av,
                 LATERAL (SELECT 3 + ((av.hv / 13) % 6)::int AS pressure, 2 + ((av.hv / 17) % 6)::int AS discomfort) AS f0,
                 LATERAL (SELECT f0.pressure, f0.discomfort,
                                 CASE WHEN f0.discomfort > 5 THEN CASE WHEN (av.hv / 19) % 25 = 0 THEN 'held' ELSE 'eased' END
                                      ELSE (ARRAY['held', 'held', 'increased', 'eased'])[1 + (av.hv / 23) % 4] END AS action) AS f
            WHERE av.status = 'completed' AND (av.hv / 100000) % 3 = 0
            ORDER BY av.appointment_id
            RETURNING 1
        ), notes AS (
            INSERT INTO session_notes (practice_id, appointment_id, subjective, objective, assessment, plan, home_program,
                                       created_at, updated_at)
            SELECT prm.pid, av.appointment_id,
                   format((ARRAY['Low-back pain %s/10 today; worse after sitting at work.',
                                 'Reports %s/10 pain, stiff in the mornings, eases with walking.',
                                 'Pain %s/10; slept poorly, ache across the lower back.',
                                 'Rates pain %s/10; better since last visit, still tight bending forward.',
                                 'Pain %s/10, flared after lifting boxes at the weekend.',
                                 'Reports %s/10; less pain driving, sore after standing long.'])[1 + (av.hv / 29) % 6],
                          av.pain_before),
                   (ARRAY['Hypertonic lumbar paraspinals bilaterally; flexion limited to mid-shin.',
                          'Tender right quadratus lumborum; trigger point reproduces familiar pain.',
                          'Guarded movement; gluteus medius tender, left more than right.',
                          'Lumbar range of motion improved; mild tenderness at L4-L5 paraspinals.',
                          'Thoracolumbar fascia restricted; hamstrings tight bilaterally.',
                          'No neurological signs reported; lumbar paraspinals tender to palpation.',
                          'Hip flexors short; posterior chain tight.',
                          'Tissue texture improved since the last session.'])[1 + (av.hv / 31) % 8],
                   (ARRAY['Mechanical low-back pain, responding to soft-tissue work.',
                          'Chronic non-specific low-back pain; steady progress.',
                          'Muscle guarding reducing; pain trend on course.',
                          'Slow response so far; watch the pain trend against the expected relief.',
                          'Pain unchanged over recent sessions; consider referral if this continues.'])[1 + (av.hv / 37) % 5],
                   CASE WHEN (av.completed_at > prm.now - interval '3 days' AND (av.hv / 1000) % 3 = 0) OR (av.hv / 1000) % 500 = 0
                        THEN ''
                        ELSE (ARRAY['Continue 1-2 sessions weekly; review the pain trend after 4-6 sessions.',
                                    'Continue weekly; self-massage with a tennis ball between visits.',
                                    'Twice weekly for two more weeks, then reassess.',
                                    'Continue the course; encourage the core strengthening program.',
                                    'Reassess next visit; discuss referral if pain is unchanged.'])[1 + (av.hv / 41) % 5] END,
                   CASE WHEN av.k = 0 THEN 'Self-massage between sessions (foam roller or tennis ball): work the muscles beside the spine, never the spine itself; hold a tender spot 30 seconds at most; stop if pain passes 5/10 or runs down the leg.' END,
                   least(prm.now, av.completed_at + make_interval(mins => 5 + ((av.hv / 10) % 30)::int)),
                   least(prm.now, av.completed_at + make_interval(mins => 5 + ((av.hv / 10) % 30)::int))
            FROM prm, av
            WHERE av.status = 'completed'
            ORDER BY av.appointment_id
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM ap) AS appointments, (SELECT count(*) FROM moves) AS moves,
               (SELECT count(*) FROM pain) AS pain_reports, (SELECT count(*) FROM feedback) AS feedback,
               (SELECT count(*) FROM notes) AS notes
        """

    /// Chunk, part 3: the treating therapist signs every drafted note that has a plan. The
    /// signing trigger checks the signer and the visit and stamps `signed_at` (the fill's time).
    static let signSQL = """
        , bounds AS (
            SELECT current_setting('bulkdemo.client_lo')::bigint AS lo, current_setting('bulkdemo.client_hi')::bigint AS hi
        )
        UPDATE session_notes AS n SET signed_by = a.therapist_id
        FROM appointments AS a
        WHERE a.practice_id = (SELECT pid FROM prm)
          AND a.client_id BETWEEN (SELECT lo FROM bounds) AND (SELECT hi FROM bounds)
          AND n.practice_id = a.practice_id AND n.appointment_id = a.id
          AND n.signed_at IS NULL AND n.plan <> ''
        """

    /// Chunk, part 4: addenda by the treating therapist on about 2 % of signed notes.
    static let addendaSQL = """
        , bounds AS (
            SELECT current_setting('bulkdemo.client_lo')::bigint AS lo, current_setting('bulkdemo.client_hi')::bigint AS hi
        ), ad AS (
            INSERT INTO note_addenda (practice_id, note_id, author_id, reason, body)
            SELECT n.practice_id, n.id, a.therapist_id,
                   (ARRAY['late entry', 'correction', 'clarification'])[1 + x.m % 3],
                   (ARRAY['Client called the next day: soreness resolved within 24 hours.',
                          'Correction: the region treated was the right quadratus lumborum, not the left.',
                          'Clarification: the home program was reviewed with the client at the end of the session.'])[1 + x.m % 3]
            FROM appointments AS a
            JOIN session_notes AS n ON n.practice_id = a.practice_id AND n.appointment_id = a.id,
                 LATERAL (SELECT (extract(epoch FROM a.starts_at)::bigint / 3600) % 97 AS m) AS x
            WHERE a.practice_id = (SELECT pid FROM prm)
              AND a.client_id BETWEEN (SELECT lo FROM bounds) AND (SELECT hi FROM bounds)
              AND n.signed_at IS NOT NULL AND (x.m + a.client_id % 7) % 50 = 0
            ORDER BY n.id
            RETURNING 1
        )
        SELECT count(*) AS addenda FROM ad
        """
}
