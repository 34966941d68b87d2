-- Scheduling: working hours, the appointment state machine, series bookkeeping, course breaks.

ALTER TABLE practices
    ADD COLUMN course_break_days integer NOT NULL DEFAULT 56 CHECK (course_break_days > 0);

-- A therapist's weekly working hours, in the practice's local time.
CREATE TABLE working_hours (
    practice_id     bigint NOT NULL REFERENCES practices (id),
    therapist_id    bigint NOT NULL,
    therapist_role  text GENERATED ALWAYS AS ('therapist') STORED,
    weekday         smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    starts          time NOT NULL,
    ends            time NOT NULL,
    PRIMARY KEY (practice_id, therapist_id, weekday, starts),
    CONSTRAINT working_hours_order CHECK (ends > starts),
    FOREIGN KEY (practice_id, therapist_id, therapist_role) REFERENCES staff (practice_id, id, role),
    CONSTRAINT working_hours_no_overlap EXCLUDE USING gist
        (practice_id WITH =, therapist_id WITH =, weekday WITH =,
         tsrange(DATE '2000-01-01' + starts, DATE '2000-01-01' + ends) WITH &&)
);

-- Dates a series left out with --skip-conflicts, so the rule and its rows stay explainable.
ALTER TABLE appointment_series
    ADD COLUMN skipped_dates date[] NOT NULL DEFAULT '{}';

ALTER TABLE appointments
    ADD CONSTRAINT appointments_completed_after_start CHECK (completed_at IS NULL OR completed_at >= starts_at);

-- booked → checked_in → completed; booked → cancelled | no_show | completed (entered after the
-- fact); checked_in → cancelled. Nothing leaves completed, cancelled or no_show.
CREATE FUNCTION appointments_guard_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
        (OLD.status = 'booked' AND NEW.status IN ('checked_in', 'completed', 'cancelled', 'no_show'))
        OR (OLD.status = 'checked_in' AND NEW.status IN ('completed', 'cancelled'))
    ) THEN
        RAISE EXCEPTION 'appointment % is % and cannot become %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'P0001', HINT = 'appointment_state_machine';
    END IF;
    -- Only a booked visit can move in time.
    IF (NEW.starts_at, NEW.ends_at) IS DISTINCT FROM (OLD.starts_at, OLD.ends_at) AND OLD.status <> 'booked' THEN
        RAISE EXCEPTION 'appointment % is % and cannot be rescheduled', OLD.id, OLD.status
            USING ERRCODE = 'P0001', HINT = 'appointment_state_machine';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER appointments_status_machine
    BEFORE UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_guard_status();
