-- History a practice can ask about after the fact, and discharge.
--
-- Every row now says both when a thing happened (the visit's time, the screening's date) and
-- when it was recorded, so `practice check --as-of D` can leave out everything recorded after D
-- and reproduce what the check said that day. Both stamps come from the service's one clock.

-- Status changes keep the time they were recorded.
ALTER TABLE appointments
    ADD COLUMN checked_in_at timestamptz,
    ADD COLUMN no_show_at timestamptz,
    -- completed_at is when the session happened (a visit entered after the fact is stamped at
    -- its own time); this is when the completion was typed in.
    ADD COLUMN completion_recorded_at timestamptz;
UPDATE appointments SET completion_recorded_at = completed_at WHERE completed_at IS NOT NULL;
UPDATE appointments SET cancelled_at = coalesce(cancelled_at, created_at) WHERE status = 'cancelled';
UPDATE appointments SET no_show_at = greatest(starts_at, created_at) WHERE status = 'no_show';
UPDATE appointments SET checked_in_at = least(starts_at, created_at) WHERE status = 'checked_in';
ALTER TABLE appointments
    ADD CONSTRAINT appointments_status_stamps CHECK (
        (status <> 'completed' OR (completed_at IS NOT NULL AND completion_recorded_at IS NOT NULL))
        AND (status <> 'cancelled' OR cancelled_at IS NOT NULL)
        AND (status <> 'no_show' OR no_show_at IS NOT NULL));

-- One range of minutes, the same as PracticeCore's BookingRules.Minutes (a test compares them).
ALTER TABLE appointments DROP CONSTRAINT appointments_minutes_treated_check;
ALTER TABLE appointments
    ADD CONSTRAINT appointments_minutes_treated_check CHECK (minutes_treated BETWEEN 1 AND 240);
ALTER TABLE appointment_series DROP CONSTRAINT appointment_series_minutes_check;
ALTER TABLE appointment_series
    ADD CONSTRAINT appointment_series_minutes_check CHECK (minutes BETWEEN 5 AND 240);

-- A reschedule keeps where the visit was before, so an earlier day's view can be rebuilt.
CREATE TABLE appointment_moves (
    practice_id     bigint NOT NULL REFERENCES practices (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    appointment_id  bigint NOT NULL,
    old_starts_at   timestamptz NOT NULL,
    old_ends_at     timestamptz NOT NULL,
    moved_at        timestamptz NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, appointment_id) REFERENCES appointments (practice_id, id)
);
CREATE INDEX appointment_moves_appointment_idx ON appointment_moves (practice_id, appointment_id, moved_at);

-- When a screening was typed in, as distinct from the day it was asked (screening record --date).
ALTER TABLE screenings ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();
UPDATE screenings SET recorded_at = screened_at;

-- When feedback was typed in, as distinct from the moment in the session it describes.
ALTER TABLE pressure_feedback ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
UPDATE pressure_feedback SET created_at = recorded_at;

-- Discharge: a client whose care here has ended. Kept as history (discharged, readmitted,
-- discharged again), so the check as of any date knows who was under care that day.
CREATE TABLE client_discharges (
    practice_id     bigint NOT NULL REFERENCES practices (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    client_id       bigint NOT NULL,
    discharged_on   date NOT NULL,
    reason          text,
    recorded_at     timestamptz NOT NULL,
    readmitted_on   date,
    readmitted_at   timestamptz,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, client_id) REFERENCES clients (practice_id, id),
    CONSTRAINT client_discharges_readmission CHECK (
        (readmitted_on IS NULL) = (readmitted_at IS NULL) AND (readmitted_on IS NULL OR readmitted_on >= discharged_on))
);
-- At most one open discharge per client.
CREATE UNIQUE INDEX client_discharges_open_key ON client_discharges (practice_id, client_id) WHERE readmitted_on IS NULL;

-- Stamp lookups the as-of check makes.
CREATE INDEX appointments_practice_time_idx ON appointments (practice_id, starts_at);
