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
        let policy = practice.policy
        let windowStart = IsoWeek(containing: asOf).adding(weeks: -(weeksShown - 1)).monday
        // Status names are bound from Swift's state machine, never retyped here.
        let (booked, checkedIn, completed, cancelled, noShow) = (
            AppointmentStatus.booked.rawValue, AppointmentStatus.checkedIn.rawValue, AppointmentStatus.completed.rawValue,
            AppointmentStatus.cancelled.rawValue, AppointmentStatus.noShow.rawValue)
        let pending = AppointmentStatus.allCases.filter(\.isPending).map(\.rawValue)
        let rows = try await connection.query("""
            WITH p AS (
                SELECT \(practice.timeZone)::text AS tz, \(asOf.description)::date AS as_of, \(cutoff)::timestamptz AS cut,
                       \(windowStart.description)::date AS wstart, \(policy.courseBreakDays)::int AS brk,
                       \(policy.monthlyWindowDays)::int AS win
            ),
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
            appt AS (
                -- Each appointment as it stood at the cutoff.
                SELECT a.id, a.client_id, coalesce(mv.old_starts_at, a.starts_at) AS starts_at,
                       CASE WHEN a.cancelled_at <= p.cut THEN \(cancelled)
                            WHEN a.completion_recorded_at <= p.cut THEN \(completed)
                            WHEN a.no_show_at <= p.cut THEN \(noShow)
                            WHEN a.checked_in_at <= p.cut THEN \(checkedIn)
                            ELSE \(booked) END AS status
                FROM appointments a JOIN cl ON cl.id = a.client_id CROSS JOIN p
                LEFT JOIN LATERAL (
                    SELECT m.old_starts_at FROM appointment_moves m
                    WHERE m.practice_id = a.practice_id AND m.appointment_id = a.id AND m.moved_at > p.cut
                    ORDER BY m.moved_at, m.id LIMIT 1) mv ON true
                WHERE a.practice_id = \(practice.id) AND a.created_at <= p.cut
            ),
            done AS (
                SELECT a.client_id, a.id, a.starts_at, (a.starts_at AT TIME ZONE p.tz)::date AS day
                FROM appt a CROSS JOIN p
                WHERE a.status = \(completed)
            ),
            gapped AS (
                SELECT d.*, d.day - lag(d.day) OVER (PARTITION BY d.client_id ORDER BY d.starts_at) AS gap FROM done d
            ),
            coursed AS (
                -- A gap longer than the course break starts a new course.
                SELECT g.*, count(*) FILTER (WHERE g.gap > (SELECT brk FROM p))
                           OVER (PARTITION BY g.client_id ORDER BY g.starts_at) AS course
                FROM gapped g
            ),
            cur AS (
                SELECT * FROM (
                    SELECT c.*, max(c.course) OVER (PARTITION BY c.client_id) AS last_course,
                           row_number() OVER (PARTITION BY c.client_id, c.course ORDER BY c.starts_at) AS n
                    FROM coursed c) x
                WHERE course = last_course
            ),
            course_stats AS (
                SELECT client_id, min(day) AS start_day, max(day) AS last_day, count(*)::int AS sessions,
                       max(gap) FILTER (WHERE n > 1) AS longest_gap,
                       (array_agg(id ORDER BY starts_at))[1] AS first_appointment
                FROM cur GROUP BY client_id
            ),
            trend AS (
                -- Pain a client arrives with, or reports between visits; not the in-session "after".
                SELECT r.client_id, r.score, r.reported_at, (r.reported_at AT TIME ZONE p.tz)::date AS day
                FROM pain_reports r JOIN cl ON cl.id = r.client_id CROSS JOIN p
                WHERE r.practice_id = \(practice.id) AND r.source IN ('before_session', 'self_reported')
                  AND r.reported_at <= p.cut AND r.created_at <= p.cut
                  -- A correction recorded by then replaces the row it supersedes.
                  AND NOT EXISTS (SELECT 1 FROM pain_reports x
                                  WHERE x.practice_id = r.practice_id AND x.supersedes_id = r.id AND x.created_at <= p.cut)
            ),
            baseline AS (
                SELECT cs.client_id, r.score FROM course_stats cs CROSS JOIN p
                JOIN pain_reports r ON r.practice_id = \(practice.id) AND r.appointment_id = cs.first_appointment
                     AND r.source = 'before_session' AND r.created_at <= p.cut
                     AND NOT EXISTS (SELECT 1 FROM pain_reports x
                                     WHERE x.practice_id = r.practice_id AND x.supersedes_id = r.id AND x.created_at <= p.cut)
            ),
            latest AS (
                SELECT DISTINCT ON (t.client_id) t.client_id, t.score
                FROM trend t JOIN course_stats cs ON cs.client_id = t.client_id
                WHERE t.day >= cs.start_day
                ORDER BY t.client_id, t.reported_at DESC
            ),
            best AS (
                SELECT t.client_id, min(t.score)::int AS score
                FROM trend t JOIN course_stats cs ON cs.client_id = t.client_id CROSS JOIN p
                WHERE t.day BETWEEN cs.start_day AND cs.start_day + p.win
                GROUP BY t.client_id
            ),
            weeks AS (
                SELECT (p.wstart + 7 * i::int) AS monday FROM p CROSS JOIN generate_series(0, \(weeksShown - 1)::int) AS i
            ),
            visits AS (
                -- Sessions held, and visits still to come; a past visit nobody recorded is neither.
                SELECT a.client_id, date_trunc('week', a.starts_at AT TIME ZONE p.tz)::date AS monday, count(*)::int AS n
                FROM appt a CROSS JOIN p
                WHERE (a.status = \(completed) OR (a.status = ANY(\(pending)::text[]) AND a.starts_at >= p.cut))
                  AND (a.starts_at AT TIME ZONE p.tz)::date >= p.wstart
                  AND (a.starts_at AT TIME ZONE p.tz)::date < p.wstart + 7 * \(weeksShown)::int
                GROUP BY 1, 2
            ),
            weekly AS (
                SELECT cl.id AS client_id, array_agg(coalesce(v.n, 0) ORDER BY w.monday) AS counts
                FROM cl CROSS JOIN weeks w LEFT JOIN visits v ON v.client_id = cl.id AND v.monday = w.monday
                GROUP BY cl.id
            ),
            upcoming AS (
                SELECT a.client_id, min((a.starts_at AT TIME ZONE p.tz)::date) AS next_day
                FROM appt a CROSS JOIN p
                WHERE a.status = ANY(\(pending)::text[]) AND a.starts_at >= p.cut
                GROUP BY a.client_id
            ),
            unrecorded AS (
                SELECT a.client_id, array_agg(a.id ORDER BY a.starts_at, a.id) AS ids
                FROM appt a CROSS JOIN p
                WHERE a.status = ANY(\(pending)::text[]) AND a.starts_at < p.cut
                GROUP BY a.client_id
            ),
            pressure AS (
                SELECT a.client_id, count(*)::int AS uneased
                FROM pressure_feedback f
                JOIN done a ON a.id = f.appointment_id
                JOIN course_stats cs ON cs.client_id = a.client_id CROSS JOIN p
                WHERE f.practice_id = \(practice.id) AND f.discomfort > \(policy.maxDiscomfort)::int AND f.action <> 'eased'
                  AND f.created_at <= p.cut AND a.day BETWEEN cs.start_day AND p.as_of
                  AND NOT EXISTS (SELECT 1 FROM pressure_feedback x
                                  WHERE x.practice_id = f.practice_id AND x.supersedes_id = f.id AND x.created_at <= p.cut)
                GROUP BY a.client_id
            ),
            scr AS (
                SELECT DISTINCT ON (s.client_id) s.client_id, s.id, s.weight_loss_or_fever,
                       s.bilateral_numbness_or_bowel_bladder, s.cancer_or_major_trauma,
                       coalesce(s.night_pain, false) OR coalesce(s.leg_numbness, false) AS sharp,
                       EXISTS (SELECT 1 FROM clearances k
                               WHERE k.practice_id = \(practice.id) AND k.screening_id = s.id
                                 AND k.created_at <= p.cut AND k.cleared_on <= p.as_of) AS cleared
                FROM screenings s JOIN cl ON cl.id = s.client_id CROSS JOIN p
                WHERE s.practice_id = \(practice.id) AND s.screened_at <= p.cut AND s.recorded_at <= p.cut
                  AND NOT EXISTS (SELECT 1 FROM screenings x
                                  WHERE x.practice_id = s.practice_id AND x.supersedes_id = s.id AND x.recorded_at <= p.cut)
                ORDER BY s.client_id, s.screened_at DESC, s.id DESC
            )
            SELECT cl.id, cl.name, cl.pain_onset::text, w.counts, cs.start_day::text, cs.last_day::text,
                   coalesce(cs.sessions, 0), cs.longest_gap, b.score::int, l.score::int, best.score,
                   u.next_day::text, coalesce(un.ids, '{}'::bigint[]), scr.client_id IS NOT NULL,
                   coalesce(scr.weight_loss_or_fever, false),
                   coalesce(scr.bilateral_numbness_or_bowel_bladder, false), coalesce(scr.cancer_or_major_trauma, false),
                   coalesce(scr.cleared, false), coalesce(scr.sharp, false), coalesce(pr.uneased, 0)
            FROM cl
            JOIN weekly w ON w.client_id = cl.id
            LEFT JOIN course_stats cs ON cs.client_id = cl.id
            LEFT JOIN baseline b ON b.client_id = cl.id
            LEFT JOIN latest l ON l.client_id = cl.id
            LEFT JOIN best ON best.client_id = cl.id
            LEFT JOIN upcoming u ON u.client_id = cl.id
            LEFT JOIN unrecorded un ON un.client_id = cl.id
            LEFT JOIN scr ON scr.client_id = cl.id
            LEFT JOIN pressure pr ON pr.client_id = cl.id
            ORDER BY cl.name, cl.id
            """, logger: logger)

        let weeks = (0..<weeksShown).map { IsoWeek(containing: windowStart.adding(days: 7 * $0)) }
        var reports: [FrequencyReport] = []
        for try await (id, name, onset, counts, start, last, sessions, longestGap, baselinePain, latestPain, bestPain,
                       next, unrecorded, screened, weightLoss, bilateral, cancer, cleared, sharp, uneased)
            in rows.decode((Int64, String, String, [Int], String?, String?, Int, Int?, Int?, Int?, Int?, String?, [Int64], Bool,
                            Bool, Bool, Bool, Bool, Bool, Int).self) {
            let answers = ScreeningAnswers(weightLossOrFever: weightLoss, bilateralNumbnessOrBowelBladder: bilateral,
                                           cancerOrMajorTrauma: cancer)
            let screening: ScreeningStatus = !screened ? .notScreened : !answers.hasRedFlag ? .clear
                : cleared ? .cleared : .needsClearance
            var courseStart = try start.map { try CalendarDate(parsing: $0) }
            let lastVisit = try last.map { try CalendarDate(parsing: $0) }
            let nextVisit = try next.map { try CalendarDate(parsing: $0) }
            // A course has ended when its last session is further back than the course break from
            // the next visit (or from the day, when nothing is booked): that visit starts a new one.
            if let lastVisit, lastVisit.days(until: nextVisit ?? asOf) > policy.courseBreakDays { courseStart = nil }
            let future = nextVisit != nil
            var metrics = FrequencyMetrics(
                clientID: id, clientName: name, asOf: asOf, painOnset: try CalendarDate(parsing: onset),
                weeks: zip(weeks, counts).map { FrequencyMetrics.WeekCount(week: $0, visits: $1) },
                courseStart: courseStart, lastVisit: courseStart == nil ? nil : lastVisit,
                sessionsInCourse: courseStart == nil ? 0 : sessions, longestGapDays: longestGap,
                baselinePain: baselinePain, latestPain: latestPain, bestPainInFirstMonth: bestPain, hasFutureBooking: future,
                nextVisit: courseStart == nil ? nil : nextVisit, unrecordedVisits: unrecorded, screening: screening, redFlags: answers.redFlags, nightPainOrLegNumbness: sharp)
            metrics.pressureUneased = courseStart == nil ? 0 : uneased
            reports.append(FrequencyReport(metrics: metrics, flags: FrequencyCheck.flags(for: metrics, policy: policy)))
        }
        return reports
    }
}
