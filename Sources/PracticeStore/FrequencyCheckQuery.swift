import Foundation
import Logging
import PostgresNIO
import PracticeCore

/// `practice check`'s numbers for every active client of a practice, in one SQL statement: one
/// pass over the practice, however many clients it has. The rules are then applied in
/// PracticeCore (`FrequencyCheck`), by the practice's policy.
public enum FrequencyCheckQuery {
    /// How many ISO weeks the check looks back over, the current one included.
    public static let weeksShown = 4

    /// The check as of `asOf`, seeing only what had been recorded by `cutoff` (the last moment of
    /// `asOf` in the practice's zone, or now if that is earlier). Every row carries when it was
    /// recorded, and appointments are taken as they stood at the cutoff (status by the stamps of
    /// each change, times by the moves after it), so the check on a past date says what it
    /// said that day.
    public static func run(practice: Practice, clientID: Int64? = nil, asOf: CalendarDate, cutoff: Date,
                           on connection: PostgresConnection, logger: Logger) async throws -> [FrequencyReport] {
        var reports: [FrequencyReport] = []
        try await stream(practice: practice, clientID: clientID, asOf: asOf, cutoff: cutoff, on: connection,
                         logger: logger) { reports.append($0) }
        return reports
    }

    /// The same check, handing each client's report to `body` as its row arrives, in name order:
    /// a practice of any size is checked in the memory of one report (plus a few numbers for
    /// each client seen near the day).
    ///
    /// The work is bounded by the day, not by the practice's history, in three statements run in
    /// the caller's one snapshot:
    /// 1. the appointments near the day (the look-back weeks, the course break, what is booked
    ///    ahead: by the time index), those still open at the cutoff (by the open-visit index) and
    ///    those moved since: each client's visits per week, next visit and unrecorded visits, and
    ///    whether a session falls within the course break, the only way to be in a course;
    /// 2. the histories of just those clients (by the client index): their current course, pain
    ///    and pressure feedback;
    /// 3. every client under care with their screening, in name order, streamed and merged with
    ///    the two above.
    /// Time filters are timestamp bounds computed once from the practice's zone, so indexes serve them.
    public static func stream(practice: Practice, clientID: Int64? = nil, asOf: CalendarDate, cutoff: Date,
                              on connection: PostgresConnection, logger: Logger,
                              _ body: (FrequencyReport) throws -> Void) async throws {
        let policy = practice.policy
        let zone = practice.timeZone
        let windowStart = IsoWeek(containing: asOf).adding(weeks: -(weeksShown - 1)).monday
        let windowEnd = windowStart.adding(days: 7 * weeksShown)
        let activeSince = asOf.adding(days: -policy.courseBreakDays)
        let (windowStartAt, windowEndAt) = (PracticeNow.startOfDay(windowStart, timeZone: zone),
                                            PracticeNow.startOfDay(windowEnd, timeZone: zone))
        let activeSinceAt = PracticeNow.startOfDay(activeSince, timeZone: zone)
        let nearSince = min(windowStartAt, activeSinceAt)
        // Status names are bound from Swift's state machine, never retyped here.
        let (completed, pending) = (AppointmentStatus.completed.rawValue,
                                    AppointmentStatus.allCases.filter(\.isPending).map(\.rawValue))
        // An appointment's status as it stood at the cutoff, by the stamps of each change.
        let statusAtCut = """
            CASE WHEN a.cancelled_at <= p.cut THEN '\(AppointmentStatus.cancelled.rawValue)'
                 WHEN a.completion_recorded_at <= p.cut THEN '\(AppointmentStatus.completed.rawValue)'
                 WHEN a.no_show_at <= p.cut THEN '\(AppointmentStatus.noShow.rawValue)'
                 WHEN a.checked_in_at <= p.cut THEN '\(AppointmentStatus.checkedIn.rawValue)'
                 ELSE '\(AppointmentStatus.booked.rawValue)' END
            """
        // Appointments moved after the cutoff stood then where their first later move found them.
        let movedSince = """
            mv AS (
                SELECT DISTINCT ON (m.appointment_id) m.appointment_id AS id, m.old_starts_at
                FROM appointment_moves m CROSS JOIN p
                WHERE m.practice_id = \(practice.id) AND m.moved_at > p.cut
                ORDER BY m.appointment_id, m.moved_at, m.id
            )
            """
        let weekCounts = (0..<weeksShown).map { "count(*) FILTER (WHERE counted AND wk = \($0))::int" }.joined(separator: ", ")

        // The whole practice's sorts (by name, by client) fit in memory rather than spill to disk.
        if clientID == nil { try await connection.run("SELECT set_config('work_mem', '64MB', true)", logger: logger) }

        // 1. Near the day. Days are exchanged as days since 1970-01-01: one integer, no parsing.
        struct Near { var counts: [Int]; var next: Int?; var unrecorded: [Int64]; var active: Bool }
        var near: [Int64: Near] = [:]
        var active: [Int64] = []
        let nearRows = try await connection.query("""
            WITH p AS (SELECT \(cutoff)::timestamptz AS cut, \(zone)::text AS tz, \(windowStart.description)::date AS wstart),
            \(unescaped: movedSince),
            near AS (
                SELECT a.* FROM appointments a CROSS JOIN p
                WHERE a.practice_id = \(practice.id) AND (\(clientID)::bigint IS NULL OR a.client_id = \(clientID))
                  AND (a.starts_at >= \(nearSince)
                       OR coalesce(least(a.cancelled_at, a.completion_recorded_at, a.no_show_at), 'infinity') > \(cutoff))
                UNION ALL
                SELECT a.* FROM appointments a JOIN mv ON mv.id = a.id CROSS JOIN p
                WHERE a.practice_id = \(practice.id) AND (\(clientID)::bigint IS NULL OR a.client_id = \(clientID))
                  AND NOT (a.starts_at >= \(nearSince)
                           OR coalesce(least(a.cancelled_at, a.completion_recorded_at, a.no_show_at), 'infinity') > \(cutoff))
            ),
            appt AS (
                SELECT a.id, a.client_id, coalesce(mv.old_starts_at, a.starts_at) AS starts_at, \(unescaped: statusAtCut) AS status
                FROM near a CROSS JOIN p LEFT JOIN mv ON mv.id = a.id
                WHERE a.created_at <= p.cut
            ),
            marked AS (
                -- Counted in its week: a session held, or a visit still to come; a past visit nobody
                -- recorded is neither.
                SELECT a.*, ((a.starts_at AT TIME ZONE p.tz)::date - p.wstart) / 7 AS wk,
                       (a.status = \(completed) OR (a.status = ANY(\(pending)::text[]) AND a.starts_at >= p.cut))
                       AND a.starts_at >= \(windowStartAt) AND a.starts_at < \(windowEndAt) AS counted
                FROM appt a CROSS JOIN p
            )
            SELECT a.client_id, ARRAY[\(unescaped: weekCounts)],
                   (min(a.starts_at) FILTER (WHERE a.status = ANY(\(pending)::text[]) AND a.starts_at >= p.cut)
                        AT TIME ZONE p.tz)::date - date '1970-01-01',
                   array_agg(a.id ORDER BY a.starts_at, a.id) FILTER (WHERE a.status = ANY(\(pending)::text[]) AND a.starts_at < p.cut),
                   coalesce(bool_or(a.status = \(completed) AND a.starts_at >= \(activeSinceAt)), false)
            FROM marked a CROSS JOIN p
            GROUP BY a.client_id, p.tz
            """, logger: logger)
        for try await (client, counts, next, unrecorded, isActive) in nearRows.decode((Int64, [Int], Int?, [Int64]?, Bool).self) {
            near[client] = Near(counts: counts, next: next, unrecorded: unrecorded ?? [], active: isActive)
            if isActive { active.append(client) }
        }

        // 2. The current course of each client with a session within the course break, then its
        //    pain scores and pressure feedback. Three statements, each joined to a list of known
        //    length, merged here: one statement joining the three summaries lets the planner
        //    guess one row for each and loop over them.
        struct Course { var start: Int; var last: Int; var sessions: Int; var longestGap: Int?
                        var baseline: Int?; var latest: Int?; var best: Int?; var uneased: Int }
        var courses: [Int64: Course] = [:]
        if !active.isEmpty {
            var (clients, firsts, starts, windowEnds) = ([Int64](), [Int64](), [Date](), [Date]())
            var (sessionClients, sessionIDs) = ([Int64](), [Int64]())
            let courseRows = try await connection.query("""
                WITH p AS (SELECT \(cutoff)::timestamptz AS cut, \(zone)::text AS tz, \(asOf.description)::date AS as_of,
                                  \(policy.courseBreakDays)::int AS brk),
                \(unescaped: movedSince),
                done AS (
                    -- Their completed sessions, their whole history: where did the course begin?
                    -- One probe of the client index per client (LATERAL … OFFSET 0 keeps it a
                    -- probe): planned as a join, the status filter's estimate of a few rows made
                    -- the planner hash the practice's whole appointments table instead.
                    SELECT ac.id AS client_id, a.id, coalesce(mv.old_starts_at, a.starts_at) AS starts_at,
                           (coalesce(mv.old_starts_at, a.starts_at) AT TIME ZONE p.tz)::date AS day
                    FROM unnest(\(active)::bigint[]) AS ac(id) CROSS JOIN p
                    CROSS JOIN LATERAL (
                        SELECT a.* FROM appointments a
                        WHERE a.practice_id = \(practice.id) AND a.client_id = ac.id AND a.created_at <= p.cut
                        OFFSET 0
                    ) a
                    LEFT JOIN mv ON mv.id = a.id
                    WHERE \(unescaped: statusAtCut) = \(completed)
                ),
                gapped AS (
                    SELECT d.*, d.day - lag(d.day) OVER (PARTITION BY d.client_id ORDER BY d.starts_at) AS gap FROM done d
                ),
                breaks AS (
                    -- A gap longer than the course break starts a new course: the last such starts this one.
                    SELECT g.client_id, max(g.starts_at) FILTER (WHERE g.gap > p.brk) AS began FROM gapped g CROSS JOIN p
                    GROUP BY g.client_id
                )
                SELECT g.client_id, min(g.day) - date '1970-01-01', max(g.day) - date '1970-01-01', count(*)::int,
                       -- Within a course every gap is at most the break; its first session's is
                       -- none, or the break that began it.
                       max(g.gap) FILTER (WHERE g.gap <= p.brk),
                       (array_agg(g.id ORDER BY g.starts_at))[1],
                       -- The course's sessions up to the day, for their pressure feedback.
                       coalesce(array_agg(g.id) FILTER (WHERE g.day <= p.as_of), '{}')
                FROM gapped g JOIN breaks b ON b.client_id = g.client_id CROSS JOIN p
                WHERE b.began IS NULL OR g.starts_at >= b.began
                GROUP BY g.client_id
                """, logger: logger)
            for try await (client, start, last, sessions, longestGap, first, held)
                in courseRows.decode((Int64, Int, Int, Int, Int?, Int64, [Int64]).self) {
                courses[client] = Course(start: start, last: last, sessions: sessions, longestGap: longestGap,
                                         baseline: nil, latest: nil, best: nil, uneased: 0)
                let startDay = CalendarDate(daysSinceEpoch: start)
                clients.append(client)
                firsts.append(first)
                starts.append(PracticeNow.startOfDay(startDay, timeZone: zone))
                windowEnds.append(PracticeNow.startOfDay(startDay.adding(days: policy.monthlyWindowDays + 1), timeZone: zone))
                sessionClients.append(contentsOf: repeatElement(client, count: held.count))
                sessionIDs.append(contentsOf: held)
            }

            // Pain a client arrives with, or reports between visits (not the in-session "after"),
            // by the client index: the baseline (before the course's first session), the latest
            // since the course began, the best within the monthly window. A correction recorded by
            // then replaces the row it supersedes.
            let painRows = try await connection.query("""
                SELECT cs.client_id,
                       min(r.score) FILTER (WHERE r.appointment_id = cs.first_appointment AND r.source = 'before_session')::int,
                       (array_agg(r.score ORDER BY r.reported_at DESC) FILTER (WHERE r.reported_at >= cs.start_at
                                                                                 AND r.reported_at <= \(cutoff)))[1]::int,
                       min(r.score) FILTER (WHERE r.reported_at >= cs.start_at AND r.reported_at < cs.window_end
                                              AND r.reported_at <= \(cutoff))::int
                FROM unnest(\(clients)::bigint[], \(firsts)::bigint[], \(starts)::timestamptz[], \(windowEnds)::timestamptz[])
                     AS cs(client_id, first_appointment, start_at, window_end)
                -- One probe of the client index per client, as above: not a scan of every score.
                CROSS JOIN LATERAL (
                    SELECT r.* FROM pain_reports r
                    WHERE r.practice_id = \(practice.id) AND r.client_id = cs.client_id
                      AND (r.reported_at >= cs.start_at OR r.appointment_id = cs.first_appointment)
                      AND r.source IN ('before_session', 'self_reported') AND r.created_at <= \(cutoff)
                      -- Corrections are few: their targets are hashed once, not probed for every score.
                      AND r.id NOT IN (SELECT x.supersedes_id FROM pain_reports x
                                       WHERE x.practice_id = \(practice.id) AND x.supersedes_id IS NOT NULL
                                         AND x.created_at <= \(cutoff))
                    OFFSET 0
                ) r
                GROUP BY cs.client_id
                """, logger: logger)
            for try await (client, baseline, latest, best) in painRows.decode((Int64, Int?, Int?, Int?).self) {
                courses[client]?.baseline = baseline
                courses[client]?.latest = latest
                courses[client]?.best = best
            }

            // Pressure feedback on the course's sessions above the maximum discomfort, not eased.
            if !sessionIDs.isEmpty {
                let pressureRows = try await connection.query("""
                    SELECT s.client_id, count(*)::int
                    FROM unnest(\(sessionClients)::bigint[], \(sessionIDs)::bigint[]) AS s(client_id, appointment_id)
                    JOIN pressure_feedback f ON f.practice_id = \(practice.id) AND f.appointment_id = s.appointment_id
                    WHERE f.discomfort > \(policy.maxDiscomfort)::int AND f.action <> 'eased' AND f.created_at <= \(cutoff)
                      AND f.id NOT IN (SELECT x.supersedes_id FROM pressure_feedback x
                                       WHERE x.practice_id = \(practice.id) AND x.supersedes_id IS NOT NULL
                                         AND x.created_at <= \(cutoff))
                    GROUP BY s.client_id
                    """, logger: logger)
                for try await (client, uneased) in pressureRows.decode((Int64, Int).self) { courses[client]?.uneased = uneased }
            }
        }

        // 3. Everyone under care, in name order, streamed.
        let clientRows = try await connection.query("""
            WITH p AS (SELECT \(cutoff)::timestamptz AS cut, \(asOf.description)::date AS as_of),
            cl AS (
                -- Clients registered by the cutoff and not discharged as of the day.
                SELECT c.id, c.name, c.pain_onset FROM clients c CROSS JOIN p
                WHERE c.practice_id = \(practice.id) AND c.created_at <= p.cut
                  AND (\(clientID)::bigint IS NULL OR c.id = \(clientID))
                  AND NOT EXISTS (
                      SELECT 1 FROM client_discharges d
                      WHERE d.practice_id = c.practice_id AND d.client_id = c.id
                        AND d.discharged_on <= p.as_of AND d.recorded_at <= p.cut
                        AND NOT (d.readmitted_on IS NOT NULL AND d.readmitted_on <= p.as_of AND d.readmitted_at <= p.cut))
            ),
            scr AS (
                -- Each client's latest screening by then, with whether a physician has cleared it.
                SELECT DISTINCT ON (s.client_id) s.client_id, s.weight_loss_or_fever,
                       s.bilateral_numbness_or_bowel_bladder, s.cancer_or_major_trauma,
                       coalesce(s.night_pain, false) OR coalesce(s.leg_numbness, false) AS sharp,
                       s.id IN (SELECT k.screening_id FROM clearances k
                                WHERE k.practice_id = \(practice.id) AND k.created_at <= \(cutoff)
                                  AND k.cleared_on <= \(asOf.description)::date) AS cleared
                FROM screenings s CROSS JOIN p
                WHERE s.practice_id = \(practice.id) AND (\(clientID)::bigint IS NULL OR s.client_id = \(clientID))
                  AND s.screened_at <= p.cut AND s.recorded_at <= p.cut
                  AND NOT EXISTS (SELECT 1 FROM screenings x
                                  WHERE x.practice_id = s.practice_id AND x.supersedes_id = s.id AND x.recorded_at <= p.cut)
                ORDER BY s.client_id, s.screened_at DESC, s.id DESC
            )
            SELECT cl.id, cl.name, cl.pain_onset - date '1970-01-01',
                   -- The screening as bits (PostgreSQL gives | and << one precedence: hence the brackets).
                   CASE WHEN scr.client_id IS NULL THEN 0 ELSE 1 | (scr.weight_loss_or_fever::int << 1)
                        | (scr.bilateral_numbness_or_bowel_bladder::int << 2) | (scr.cancer_or_major_trauma::int << 3)
                        | (scr.cleared::int << 4) | (scr.sharp::int << 5) END
            FROM cl LEFT JOIN scr ON scr.client_id = cl.id
            ORDER BY cl.name, cl.id
            """, logger: logger)

        let weeks = (0..<weeksShown).map { IsoWeek(containing: windowStart.adding(days: 7 * $0)) }
        let noVisits = Array(repeating: 0, count: weeksShown)
        func day(_ days: Int?) -> CalendarDate? { days.map(CalendarDate.init(daysSinceEpoch:)) }
        for try await (id, name, onset, screen) in clientRows.decode((Int64, String, Int, Int).self) {
            let answers = ScreeningAnswers(weightLossOrFever: screen & 2 != 0, bilateralNumbnessOrBowelBladder: screen & 4 != 0,
                                           cancerOrMajorTrauma: screen & 8 != 0)
            let screening: ScreeningStatus = screen & 1 == 0 ? .notScreened : !answers.hasRedFlag ? .clear
                : screen & 16 != 0 ? .cleared : .needsClearance
            let seen = near[id], course = courses[id]
            let lastVisit = day(course?.last), nextVisit = day(seen?.next)
            // A course has ended when its last session is further back than the course break from
            // the next visit (or from the day, when nothing is booked): that visit starts a new one.
            // Its numbers then describe no current course, and are left out.
            let current = lastVisit.map { $0.days(until: nextVisit ?? asOf) <= policy.courseBreakDays } ?? false
            let inCourse = current ? course : nil
            var metrics = FrequencyMetrics(
                clientID: id, clientName: name, asOf: asOf, painOnset: CalendarDate(daysSinceEpoch: onset),
                weeks: zip(weeks, seen?.counts ?? noVisits).map { FrequencyMetrics.WeekCount(week: $0, visits: $1) },
                courseStart: day(inCourse?.start), lastVisit: inCourse == nil ? nil : lastVisit,
                sessionsInCourse: inCourse?.sessions ?? 0, longestGapDays: inCourse?.longestGap,
                baselinePain: inCourse?.baseline, latestPain: inCourse?.latest, bestPainInFirstMonth: inCourse?.best,
                hasFutureBooking: nextVisit != nil, nextVisit: inCourse == nil ? nil : nextVisit,
                unrecordedVisits: seen?.unrecorded ?? [], screening: screening, redFlags: answers.redFlags,
                nightPainOrLegNumbness: screen & 32 != 0)
            metrics.pressureUneased = inCourse?.uneased ?? 0
            try body(FrequencyReport(metrics: metrics, flags: FrequencyCheck.flags(for: metrics, policy: policy)))
        }
    }
}
