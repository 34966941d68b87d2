-- The frequency check reads what is near the day, not a practice's whole history (issue 13).
-- Besides the time index (appointments_practice_time_idx) and the client index, it needs two
-- more ways in, both small to scan:
--
-- * Visits still open at the check's cutoff (booked or checked in, never completed, cancelled
--   or marked a no-show), whenever they were: a past one is an "unrecorded visit". An
--   appointment closes at the first of its three closing stamps; an open one sorts last, at
--   infinity. A check as of today reads only the open ones, and one as of a past day also
--   those closed since.
-- * Moves made after the cutoff, by time: the check as of a past day puts those appointments
--   back where they stood.
CREATE INDEX appointments_open_idx
    ON appointments (practice_id, (coalesce(least(cancelled_at, completion_recorded_at, no_show_at), 'infinity'::timestamptz)));
CREATE INDEX appointment_moves_time_idx ON appointment_moves (practice_id, moved_at);

-- A course's baseline is the pain reported before its first session, found by appointment; and a
-- screening's clearances by screening. The unique indexes on these columns are partial (one
-- current row each), so neither lookup could use them.
CREATE INDEX pain_reports_appointment_idx ON pain_reports (practice_id, appointment_id);
CREATE INDEX clearances_screening_idx ON clearances (practice_id, screening_id);
