-- pgbench script: one client's chart, the same SQL the HTTP server sends for GET /clients/{id}/chart
-- (bench/chart.lua) as it runs it for an owner's token: an authentication transaction
-- (Tokens.authenticate, PracticeService.authenticate) and the use case's own transaction
-- (PracticeService.run: the clock, the practice, the transaction-local settings that row-level
-- security and the audit log read; then the profile, the last 10 sessions held, the client's check;
-- then the disclosure events). One pgbench transaction is one chart.
--
-- Statements and parameters were copied from the server's statement log (log_statement = all)
-- and checked against the Swift sources; where the server binds a parameter this script uses a
-- pgbench variable or the same constant. Keep it in step with:
--   Sources/PracticeStore/Tokens.swift (authenticate), Sources/PracticeService/ServiceContext.swift (run),
--   Sources/PracticeStore/Practices.swift, Sources/PracticeStore/ClientRepository.swift (ClientProfile.load),
--   Sources/PracticeStore/Discharges.swift, StaffRepository.swift, ScreeningRepository.swift,
--   Sources/PracticeStore/Scheduling.swift (list), Sources/PracticeStore/FrequencyCheckQuery.swift,
--   Sources/PracticeService/Clients.swift (clientChart), Sources/PracticeService/Reports.swift (UnitOfWork.check),
--   SQL/0006_guarantees.sql (record_disclosure).
--
-- Differences, none of which changes what the database does: pgbench prepares each statement once
-- per connection (-M prepared) where PostgresNIO parses an unnamed statement every time; literal
-- NULLs stand for the parameters the server binds as NULL; and ':' inside the to_char patterns is
-- written E'\x3a' because pgbench would take ':MI' for a variable.
-- The profile's therapist and clearance queries run for every client here; the server runs them
-- when the client has a primary therapist and a screening, which every client of `demo --scale` has
-- (bench/run checks this before it runs the script).
--
-- Variables (pgbench -D): pid (practice), staff (the owner's staff id), actor ('staff:ID'),
-- tokhex (the token's SHA-256, hex), clo..chi (the clients drawn from), asof and wstart (today in
-- the practice's zone, and the Monday three ISO weeks before this week's, as the check binds them).

\set cid random(:clo, :chi)

-- ── GET /clients/{id}/chart ──────────────────────────────────────────────────────────────────
BEGIN;
SELECT set_config('statement_timeout', '120s', true);
SELECT set_config('practice.token_lookup', :tokhex, true);
SELECT practice_id, staff_id, id FROM staff_tokens
WHERE token_sha256 = decode(:tokhex, 'hex') AND revoked_at IS NULL AND expires_at > now();
SELECT set_config('practice.token_lookup', '', true);
SELECT set_config('practice.practice_id', :pid, true);
SELECT id, name, role, msk_years::float8, email, active FROM staff WHERE practice_id = :pid AND id = :staff;
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT now()
\gset
SELECT id, name, time_zone, acute_weeks, chronic_weeks, min_visits_per_week, max_visits_per_week,
       sporadic_gap_days, course_cap_sessions, no_improvement_sessions, no_improvement_firm_sessions,
       monthly_reduction_percent, monthly_window_days, session_min_minutes, session_max_minutes,
       max_discomfort, relief_early_min::float8, relief_early_max::float8, relief_mid_min::float8,
       relief_mid_max::float8, course_break_days, npi, tax_id, address, phone
FROM practices WHERE id = :pid
\gset p_
SELECT set_config('lock_timeout', '5s', true),
       set_config('statement_timeout', '120s', true),
       set_config('practice.practice_id', :pid, true),
       set_config('practice.actor', :actor, true),
       set_config('practice.staff_id', :staff, true);
SELECT id, name, date_of_birth::text, phone, email, pain_onset::text, primary_therapist_id, active FROM clients WHERE practice_id = :pid AND id = :cid
\gset c_
SELECT id, client_id, discharged_on::text, reason, readmitted_on::text FROM client_discharges
WHERE practice_id = :pid AND client_id = :cid AND readmitted_on IS NULL;
SELECT id, name, role, msk_years::float8, email, active FROM staff WHERE practice_id = :pid AND id = :c_primary_therapist_id;
SELECT id, client_id, weight_loss_or_fever, bilateral_numbness_or_bowel_bladder, cancer_or_major_trauma,
       night_pain, leg_numbness, screened_by, to_char(screened_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"')
FROM screenings WHERE practice_id = :pid AND client_id = :cid
  AND NOT EXISTS (SELECT 1 FROM screenings x WHERE x.practice_id = screenings.practice_id AND x.supersedes_id = screenings.id)
ORDER BY screened_at DESC, id DESC LIMIT 1
\gset s_
SELECT id, client_id, screening_id, provider_id, cleared_on::text, note FROM clearances
WHERE practice_id = :pid AND screening_id = :s_id;
-- The last 10 sessions held (Scheduling.list: the client, status completed, newest first, LIMIT 10).
SELECT a.id, a.client_id, c.name, a.therapist_id, s.name, a.series_id,
       to_char(a.starts_at AT TIME ZONE :p_time_zone, 'YYYY-MM-DD'), to_char(a.starts_at AT TIME ZONE :p_time_zone, E'HH24\x3aMI'),
       to_char(a.ends_at AT TIME ZONE :p_time_zone, E'HH24\x3aMI'),
       (extract(epoch FROM a.ends_at - a.starts_at) / 60)::int, a.starts_at, a.status, a.override_reason,
       a.unscreened_reason, a.created_at
FROM appointments a
JOIN clients c ON c.practice_id = a.practice_id AND c.id = a.client_id
JOIN staff s ON s.practice_id = a.practice_id AND s.id = a.therapist_id
WHERE a.practice_id = :pid
  AND (NULL::bigint[] IS NULL OR a.id = ANY(NULL::bigint[]))
  AND (:cid::bigint IS NULL OR a.client_id = :cid)
  AND (NULL::bigint IS NULL OR a.therapist_id = NULL)
  AND (NULL::date IS NULL OR a.starts_at >= (NULL::date)::timestamp AT TIME ZONE :p_time_zone)
  AND (NULL::date IS NULL OR a.starts_at < (NULL::date + 1)::timestamp AT TIME ZONE :p_time_zone)
  AND (true OR a.status <> 'cancelled')
  AND ('completed'::text IS NULL OR a.status = 'completed')
ORDER BY a.starts_at DESC, a.id DESC
LIMIT 10;
-- The check (UnitOfWork.check) looks the client up again.
SELECT id, name, date_of_birth::text, phone, email, pain_onset::text, primary_therapist_id, active FROM clients WHERE practice_id = :pid AND id = :cid;
-- The check (FrequencyCheckQuery.stream): its three statements, as the server binds them for
-- one client. The second runs only for a client with a session within the course break.
SELECT coalesce(max(near.active::int), 0) AS is_active FROM (
WITH p AS (SELECT (:now)::timestamptz::timestamptz AS cut, :p_time_zone::text AS tz, :wstart::date AS wstart),
mv AS (
    SELECT DISTINCT ON (m.appointment_id) m.appointment_id AS id, m.old_starts_at
    FROM appointment_moves m CROSS JOIN p
    WHERE m.practice_id = :pid AND m.moved_at > p.cut
    ORDER BY m.appointment_id, m.moved_at, m.id
)
,
near AS (
    SELECT a.* FROM appointments a CROSS JOIN p
    WHERE a.practice_id = :pid AND (:cid::bigint IS NULL OR a.client_id = :cid)
      AND (a.starts_at >= (least(:wstart::date, :asof::date - :p_course_break_days::int)::timestamp AT TIME ZONE :p_time_zone)
           OR coalesce(least(a.cancelled_at, a.completion_recorded_at, a.no_show_at), 'infinity') > (:now)::timestamptz)
    UNION ALL
    SELECT a.* FROM appointments a JOIN mv ON mv.id = a.id CROSS JOIN p
    WHERE a.practice_id = :pid AND (:cid::bigint IS NULL OR a.client_id = :cid)
      AND NOT (a.starts_at >= (least(:wstart::date, :asof::date - :p_course_break_days::int)::timestamp AT TIME ZONE :p_time_zone)
               OR coalesce(least(a.cancelled_at, a.completion_recorded_at, a.no_show_at), 'infinity') > (:now)::timestamptz)
),
appt AS (
    SELECT a.id, a.client_id, coalesce(mv.old_starts_at, a.starts_at) AS starts_at, CASE WHEN a.cancelled_at <= p.cut THEN 'cancelled'
     WHEN a.completion_recorded_at <= p.cut THEN 'completed'
     WHEN a.no_show_at <= p.cut THEN 'no_show'
     WHEN a.checked_in_at <= p.cut THEN 'checked_in'
     ELSE 'booked' END
 AS status
    FROM near a CROSS JOIN p LEFT JOIN mv ON mv.id = a.id
    WHERE a.created_at <= p.cut
),
marked AS (
    -- Counted in its week: a session held, or a visit still to come; a past visit nobody
    -- recorded is neither.
    SELECT a.*, ((a.starts_at AT TIME ZONE p.tz)::date - p.wstart) / 7 AS wk,
           (a.status = 'completed' OR (a.status = ANY('{booked,checked_in}'::text[]) AND a.starts_at >= p.cut))
           AND a.starts_at >= ((:wstart::date)::timestamp AT TIME ZONE :p_time_zone) AND a.starts_at < ((:wstart::date + 28)::timestamp AT TIME ZONE :p_time_zone) AS counted
    FROM appt a CROSS JOIN p
)
SELECT a.client_id, ARRAY[count(*) FILTER (WHERE counted AND wk = 0)::int, count(*) FILTER (WHERE counted AND wk = 1)::int, count(*) FILTER (WHERE counted AND wk = 2)::int, count(*) FILTER (WHERE counted AND wk = 3)::int],
       (min(a.starts_at) FILTER (WHERE a.status = ANY('{booked,checked_in}'::text[]) AND a.starts_at >= p.cut)
            AT TIME ZONE p.tz)::date - date '1970-01-01',
       array_agg(a.id ORDER BY a.starts_at, a.id) FILTER (WHERE a.status = ANY('{booked,checked_in}'::text[]) AND a.starts_at < p.cut),
       coalesce(bool_or(a.status = 'completed' AND a.starts_at >= ((:asof::date - :p_course_break_days::int)::timestamp AT TIME ZONE :p_time_zone)), false)
FROM marked a CROSS JOIN p
GROUP BY a.client_id, p.tz

) near(client_id, counts, next_day, unrecorded, active)
\gset
\if :is_active
-- FrequencyCheckQuery.stream, step 2: the current course of each client with a session within
-- the course break (here the one client), then its pain scores, then its pressure feedback.
WITH p AS (SELECT (:now)::timestamptz AS cut, :p_time_zone::text AS tz, :asof::date AS as_of,
                  :p_course_break_days::int AS brk),
mv AS (
    SELECT DISTINCT ON (m.appointment_id) m.appointment_id AS id, m.old_starts_at
    FROM appointment_moves m CROSS JOIN p
    WHERE m.practice_id = :pid AND m.moved_at > p.cut
    ORDER BY m.appointment_id, m.moved_at, m.id
),
done AS (
    SELECT ac.id AS client_id, a.id, coalesce(mv.old_starts_at, a.starts_at) AS starts_at,
           (coalesce(mv.old_starts_at, a.starts_at) AT TIME ZONE p.tz)::date AS day
    FROM unnest(ARRAY[:cid]::bigint[]) AS ac(id) CROSS JOIN p
    CROSS JOIN LATERAL (
        SELECT a.* FROM appointments a
        WHERE a.practice_id = :pid AND a.client_id = ac.id AND a.created_at <= p.cut
        OFFSET 0
    ) a
    LEFT JOIN mv ON mv.id = a.id
    WHERE CASE WHEN a.cancelled_at <= p.cut THEN 'cancelled'
     WHEN a.completion_recorded_at <= p.cut THEN 'completed'
     WHEN a.no_show_at <= p.cut THEN 'no_show'
     WHEN a.checked_in_at <= p.cut THEN 'checked_in'
     ELSE 'booked' END = 'completed'
),
gapped AS (
    SELECT d.*, d.day - lag(d.day) OVER (PARTITION BY d.client_id ORDER BY d.starts_at) AS gap FROM done d
),
breaks AS (
    SELECT g.client_id, max(g.starts_at) FILTER (WHERE g.gap > p.brk) AS began FROM gapped g CROSS JOIN p
    GROUP BY g.client_id
)
SELECT g.client_id AS course_client, min(g.day) - date '1970-01-01' AS course_start,
       max(g.day) - date '1970-01-01' AS course_last, count(*)::int AS course_sessions,
       max(g.gap) FILTER (WHERE g.gap <= p.brk) AS course_gap,
       (array_agg(g.id ORDER BY g.starts_at))[1] AS course_first,
       coalesce(array_agg(g.id) FILTER (WHERE g.day <= p.as_of), '{}') AS course_held,
       count(*) FILTER (WHERE g.day <= p.as_of) > 0 AS course_has_held
FROM gapped g JOIN breaks b ON b.client_id = g.client_id CROSS JOIN p
WHERE b.began IS NULL OR g.starts_at >= b.began
GROUP BY g.client_id
\gset
-- The course's start and the end of its monthly window, bound by the server as timestamps it
-- computes from the start day in the practice's zone.
SELECT cs.client_id,
       min(r.score) FILTER (WHERE r.appointment_id = cs.first_appointment AND r.source = 'before_session')::int,
       (array_agg(r.score ORDER BY r.reported_at DESC) FILTER (WHERE r.reported_at >= cs.start_at
                                                                 AND r.reported_at <= (:now)::timestamptz))[1]::int,
       min(r.score) FILTER (WHERE r.reported_at >= cs.start_at AND r.reported_at < cs.window_end
                              AND r.reported_at <= (:now)::timestamptz)::int
FROM unnest(ARRAY[:cid]::bigint[], ARRAY[:course_first]::bigint[],
            ARRAY[(date '1970-01-01' + :course_start::int)::timestamp AT TIME ZONE :p_time_zone]::timestamptz[],
            ARRAY[(date '1970-01-01' + :course_start::int + :p_monthly_window_days::int + 1)::timestamp AT TIME ZONE :p_time_zone]::timestamptz[])
     AS cs(client_id, first_appointment, start_at, window_end)
CROSS JOIN LATERAL (
    SELECT r.* FROM pain_reports r
    WHERE r.practice_id = :pid AND r.client_id = cs.client_id
      AND (r.reported_at >= cs.start_at OR r.appointment_id = cs.first_appointment)
      AND r.source IN ('before_session', 'self_reported') AND r.created_at <= (:now)::timestamptz
      AND r.id NOT IN (SELECT x.supersedes_id FROM pain_reports x
                       WHERE x.practice_id = :pid AND x.supersedes_id IS NOT NULL
                         AND x.created_at <= (:now)::timestamptz)
    OFFSET 0
) r
GROUP BY cs.client_id
;
\if :course_has_held
SELECT s.client_id, count(*)::int
FROM unnest(array_fill(:cid::bigint, ARRAY[cardinality(:course_held::bigint[])]), :course_held::bigint[]) AS s(client_id, appointment_id)
JOIN pressure_feedback f ON f.practice_id = :pid AND f.appointment_id = s.appointment_id
WHERE f.discomfort > :p_max_discomfort::int AND f.action <> 'eased' AND f.created_at <= (:now)::timestamptz
  AND f.id NOT IN (SELECT x.supersedes_id FROM pressure_feedback x
                   WHERE x.practice_id = :pid AND x.supersedes_id IS NOT NULL
                     AND x.created_at <= (:now)::timestamptz)
GROUP BY s.client_id
;
\endif
\endif
WITH p AS (SELECT (:now)::timestamptz::timestamptz AS cut, :asof::date AS as_of),
cl AS (
    -- Clients registered by the cutoff and not discharged as of the day.
    SELECT c.id, c.name, c.pain_onset FROM clients c CROSS JOIN p
    WHERE c.practice_id = :pid AND c.created_at <= p.cut
      AND (:cid::bigint IS NULL OR c.id = :cid)
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
                    WHERE k.practice_id = :pid AND k.created_at <= (:now)::timestamptz
                      AND k.cleared_on <= :asof::date) AS cleared
    FROM screenings s CROSS JOIN p
    WHERE s.practice_id = :pid AND (:cid::bigint IS NULL OR s.client_id = :cid)
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
;
SELECT public.record_disclosure('read', 'clients', :cid, :cid, NULL);
SELECT public.record_disclosure('read', 'frequency_check', NULL, :cid, NULL);
COMMIT;
