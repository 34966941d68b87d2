-- MassagePractice schema, part 1: practices, people, screening, the clinical record.
--
-- Every practice-owned table carries practice_id, and every primary key, unique key,
-- exclusion constraint and foreign key includes it, so each table can be handed to
-- Citus' create_distributed_table('<table>', 'practice_id') unchanged.
-- Ids are bigint identities: short enough for a front desk to type at the command line.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- An IANA zone name PostgreSQL knows. Declared immutable so it can sit in a CHECK:
-- the zone database only grows, and a row is checked once, when written.
CREATE FUNCTION is_iana_time_zone(zone text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT zone ~ '^[A-Za-z]+(/[A-Za-z0-9_+-]+)+$' OR zone = 'UTC'
$$;

CREATE TABLE practices (
    id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    time_zone                   text NOT NULL CHECK (is_iana_time_zone(time_zone)),
    -- The evidence policy (see DESIGN.md). Defaults are the Cochrane review's numbers.
    acute_weeks                 integer NOT NULL DEFAULT 6  CHECK (acute_weeks > 0),
    chronic_weeks               integer NOT NULL DEFAULT 12 CHECK (chronic_weeks > acute_weeks),
    min_visits_per_week         integer NOT NULL DEFAULT 1  CHECK (min_visits_per_week >= 0),
    max_visits_per_week         integer NOT NULL DEFAULT 2  CHECK (max_visits_per_week >= min_visits_per_week AND max_visits_per_week <= 14),
    sporadic_gap_days           integer NOT NULL DEFAULT 14 CHECK (sporadic_gap_days > 0),
    course_cap_sessions         integer NOT NULL DEFAULT 10 CHECK (course_cap_sessions > 0),
    no_improvement_sessions     integer NOT NULL DEFAULT 6  CHECK (no_improvement_sessions > 0),
    no_improvement_firm_sessions integer NOT NULL DEFAULT 8 CHECK (no_improvement_firm_sessions >= no_improvement_sessions),
    monthly_reduction_percent   integer NOT NULL DEFAULT 30 CHECK (monthly_reduction_percent BETWEEN 1 AND 100),
    monthly_window_days         integer NOT NULL DEFAULT 30 CHECK (monthly_window_days > 0),
    session_min_minutes         integer NOT NULL DEFAULT 30 CHECK (session_min_minutes > 0),
    session_max_minutes         integer NOT NULL DEFAULT 60 CHECK (session_max_minutes >= session_min_minutes),
    max_discomfort              integer NOT NULL DEFAULT 5  CHECK (max_discomfort BETWEEN 0 AND 10),
    relief_early_min            numeric(3,1) NOT NULL DEFAULT 0.5,
    relief_early_max            numeric(3,1) NOT NULL DEFAULT 1.0 CHECK (relief_early_max >= relief_early_min),
    relief_mid_min              numeric(3,1) NOT NULL DEFAULT 1.5,
    relief_mid_max              numeric(3,1) NOT NULL DEFAULT 2.5 CHECK (relief_mid_max >= relief_mid_min),
    created_at                  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT practices_name_key UNIQUE (name)
);

CREATE TABLE staff (
    practice_id     bigint NOT NULL REFERENCES practices (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    name            text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    role            text NOT NULL CHECK (role IN ('owner', 'therapist', 'front_desk')),
    msk_years       numeric(4,1) CHECK (msk_years BETWEEN 0 AND 80),
    email           text CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, id),
    -- Lets other tables require "a therapist" with a plain foreign key.
    CONSTRAINT staff_practice_id_id_role_key UNIQUE (practice_id, id, role)
);
CREATE UNIQUE INDEX staff_practice_id_name_key ON staff (practice_id, lower(name));

CREATE TABLE providers (
    practice_id     bigint NOT NULL REFERENCES practices (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    name            text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    kind            text NOT NULL CHECK (kind IN ('physician', 'physical_therapist', 'spine_specialist')),
    npi             text CHECK (npi ~ '^[12][0-9]{9}$'),
    clinic          text,
    phone           text,
    fax             text,
    email           text CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, id),
    CONSTRAINT providers_practice_id_npi_key UNIQUE (practice_id, npi),
    CONSTRAINT providers_practice_id_id_kind_key UNIQUE (practice_id, id, kind)
);

CREATE TABLE clients (
    practice_id         bigint NOT NULL REFERENCES practices (id),
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    name                text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    date_of_birth       date NOT NULL CHECK (date_of_birth >= DATE '1900-01-01'),
    phone               text,
    email               text CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    pain_onset          date NOT NULL,
    primary_therapist_id bigint,
    primary_therapist_role text GENERATED ALWAYS AS ('therapist') STORED,
    active              boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, id),
    CONSTRAINT clients_pain_onset_after_birth CHECK (pain_onset >= date_of_birth),
    CONSTRAINT clients_primary_therapist_fkey FOREIGN KEY (practice_id, primary_therapist_id, primary_therapist_role)
        REFERENCES staff (practice_id, id, role)
);
CREATE UNIQUE INDEX clients_practice_id_name_dob_key ON clients (practice_id, lower(name), date_of_birth);

CREATE TABLE screenings (
    practice_id                 bigint NOT NULL REFERENCES practices (id),
    id                          bigint GENERATED ALWAYS AS IDENTITY,
    client_id                   bigint NOT NULL,
    weight_loss_or_fever        boolean NOT NULL,
    bilateral_numbness_or_bowel_bladder boolean NOT NULL,
    cancer_or_major_trauma      boolean NOT NULL,
    night_pain                  boolean,
    leg_numbness                boolean,
    has_red_flag                boolean GENERATED ALWAYS AS
        (weight_loss_or_fever OR bilateral_numbness_or_bowel_bladder OR cancer_or_major_trauma) STORED,
    screened_by                 bigint,
    screened_at                 timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, client_id) REFERENCES clients (practice_id, id),
    FOREIGN KEY (practice_id, screened_by) REFERENCES staff (practice_id, id)
);
CREATE INDEX screenings_client_idx ON screenings (practice_id, client_id, screened_at DESC);

CREATE TABLE appointment_series (
    practice_id     bigint NOT NULL REFERENCES practices (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    client_id       bigint NOT NULL,
    therapist_id    bigint NOT NULL,
    therapist_role  text GENERATED ALWAYS AS ('therapist') STORED,
    weekdays        smallint[] NOT NULL CHECK (cardinality(weekdays) BETWEEN 1 AND 7 AND weekdays <@ ARRAY[1,2,3,4,5,6,7]::smallint[]),
    local_time      time NOT NULL,
    minutes         integer NOT NULL CHECK (minutes > 0 AND minutes <= 480),
    time_zone       text NOT NULL CHECK (is_iana_time_zone(time_zone)),
    starts_on       date NOT NULL,
    until_date      date,
    occurrence_count integer CHECK (occurrence_count > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, id),
    CONSTRAINT appointment_series_has_end CHECK (until_date IS NOT NULL OR occurrence_count IS NOT NULL),
    FOREIGN KEY (practice_id, client_id) REFERENCES clients (practice_id, id),
    FOREIGN KEY (practice_id, therapist_id, therapist_role) REFERENCES staff (practice_id, id, role)
);

-- An appointment is a treatment session: booked, then checked in, then completed
-- (or cancelled, or a no-show). Clinical fields are filled in on completion.
CREATE TABLE appointments (
    practice_id     bigint NOT NULL REFERENCES practices (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    client_id       bigint NOT NULL,
    therapist_id    bigint NOT NULL,
    therapist_role  text GENERATED ALWAYS AS ('therapist') STORED,
    series_id       bigint,
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'booked'
                    CHECK (status IN ('booked', 'checked_in', 'completed', 'cancelled', 'no_show')),
    override_reason text,
    unscreened_reason text,
    minutes_treated integer CHECK (minutes_treated > 0 AND minutes_treated <= 480),
    techniques      text[] CHECK (techniques <@ ARRAY['swedish','deep_tissue','trigger_point','myofascial_release','mechanical_device','other']),
    soreness        text CHECK (soreness IN ('none', 'mild', 'marked')),
    cpt_code        text CHECK (cpt_code IN ('97124', '97140')),
    billable_units  integer CHECK (billable_units >= 0),
    fee             numeric(10,2) CHECK (fee >= 0),
    cancelled_at    timestamptz,
    completed_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, id),
    CONSTRAINT appointments_time_order CHECK (ends_at > starts_at),
    CONSTRAINT appointments_completed_fields CHECK (status <> 'completed' OR minutes_treated IS NOT NULL),
    FOREIGN KEY (practice_id, client_id) REFERENCES clients (practice_id, id),
    FOREIGN KEY (practice_id, therapist_id, therapist_role) REFERENCES staff (practice_id, id, role),
    FOREIGN KEY (practice_id, series_id) REFERENCES appointment_series (practice_id, id),
    -- No therapist and no client is in two live appointments at once.
    CONSTRAINT appointments_therapist_no_overlap EXCLUDE USING gist
        (practice_id WITH =, therapist_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
        WHERE (status <> 'cancelled'),
    CONSTRAINT appointments_client_no_overlap EXCLUDE USING gist
        (practice_id WITH =, client_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
        WHERE (status <> 'cancelled')
);
CREATE INDEX appointments_client_time_idx ON appointments (practice_id, client_id, starts_at);

CREATE TABLE pain_reports (
    practice_id     bigint NOT NULL REFERENCES practices (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    client_id       bigint NOT NULL,
    appointment_id  bigint,
    source          text NOT NULL CHECK (source IN ('before_session', 'after_session', 'self_reported')),
    score           smallint NOT NULL CHECK (score BETWEEN 0 AND 10),
    reported_at     timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, id),
    CONSTRAINT pain_reports_session_link CHECK ((source = 'self_reported') = (appointment_id IS NULL)),
    FOREIGN KEY (practice_id, client_id) REFERENCES clients (practice_id, id),
    FOREIGN KEY (practice_id, appointment_id) REFERENCES appointments (practice_id, id)
);
CREATE UNIQUE INDEX pain_reports_one_per_phase ON pain_reports (practice_id, appointment_id, source)
    WHERE appointment_id IS NOT NULL;
CREATE INDEX pain_reports_client_idx ON pain_reports (practice_id, client_id, reported_at);

CREATE TABLE pressure_feedback (
    practice_id     bigint NOT NULL REFERENCES practices (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    appointment_id  bigint NOT NULL,
    region          text NOT NULL CHECK (region IN ('lumbar_left', 'lumbar_right', 'thoracic', 'glutes',
                        'quadratus_lumborum', 'hips', 'hamstrings', 'other')),
    pressure        smallint NOT NULL CHECK (pressure BETWEEN 0 AND 10),
    discomfort      smallint NOT NULL CHECK (discomfort BETWEEN 0 AND 10),
    action          text NOT NULL CHECK (action IN ('eased', 'held', 'increased')),
    note            text,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, appointment_id) REFERENCES appointments (practice_id, id)
);

CREATE TABLE session_notes (
    practice_id     bigint NOT NULL REFERENCES practices (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    appointment_id  bigint NOT NULL,
    subjective      text NOT NULL DEFAULT '',
    objective       text NOT NULL DEFAULT '',
    assessment      text NOT NULL DEFAULT '',
    plan            text NOT NULL DEFAULT '',
    home_program    text,
    signed_by       bigint,
    signed_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, id),
    CONSTRAINT session_notes_one_per_appointment UNIQUE (practice_id, appointment_id),
    CONSTRAINT session_notes_signature_complete CHECK ((signed_by IS NULL) = (signed_at IS NULL)),
    FOREIGN KEY (practice_id, appointment_id) REFERENCES appointments (practice_id, id),
    FOREIGN KEY (practice_id, signed_by) REFERENCES staff (practice_id, id)
);

CREATE TABLE note_addenda (
    practice_id     bigint NOT NULL REFERENCES practices (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    note_id         bigint NOT NULL,
    author_id       bigint NOT NULL,
    reason          text NOT NULL CHECK (btrim(reason) <> ''),
    body            text NOT NULL CHECK (btrim(body) <> ''),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, note_id) REFERENCES session_notes (practice_id, id),
    FOREIGN KEY (practice_id, author_id) REFERENCES staff (practice_id, id)
);

-- Signed notes are part of the legal record: no UPDATE or DELETE once signed_at is set.
CREATE FUNCTION session_notes_guard_signed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.signed_at IS NOT NULL THEN
        RAISE EXCEPTION 'session note % is signed and cannot be changed; add an addendum instead', OLD.id
            USING ERRCODE = 'P0001', HINT = 'signed_note_immutable';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER session_notes_immutable_when_signed
    BEFORE UPDATE OR DELETE ON session_notes
    FOR EACH ROW EXECUTE FUNCTION session_notes_guard_signed();

CREATE FUNCTION reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME
        USING ERRCODE = 'P0001', HINT = 'append_only';
END
$$;
CREATE TRIGGER note_addenda_append_only
    BEFORE UPDATE OR DELETE ON note_addenda
    FOR EACH ROW EXECUTE FUNCTION reject_change();

CREATE TABLE referral_letters (
    practice_id         bigint NOT NULL REFERENCES practices (id),
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    client_id           bigint NOT NULL,
    provider_id         bigint NOT NULL,
    direction           text NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
    kind                text NOT NULL CHECK (kind IN ('prescription', 'clearance', 'referral', 'coordination')),
    status              text NOT NULL DEFAULT 'draft' CHECK (status IN ('received', 'draft', 'sent', 'acknowledged')),
    letter_date         date NOT NULL,
    diagnosis_code      text CHECK (diagnosis_code ~ '^[A-TV-Z][0-9][0-9AB](\.[0-9A-Z]{1,4})?$'),
    wording             text,
    sessions_authorised integer CHECK (sessions_authorised > 0),
    valid_until         date,
    reason_rule         text,
    body                text,
    sent_at             timestamptz,
    acknowledged_at     timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, id),
    CONSTRAINT referral_letters_direction_kind CHECK (
        (direction = 'incoming' AND kind IN ('prescription', 'clearance') AND status = 'received')
        OR (direction = 'outgoing' AND kind IN ('referral', 'coordination') AND status <> 'received')),
    CONSTRAINT referral_letters_valid_after_date CHECK (valid_until IS NULL OR valid_until >= letter_date),
    FOREIGN KEY (practice_id, client_id) REFERENCES clients (practice_id, id),
    FOREIGN KEY (practice_id, provider_id) REFERENCES providers (practice_id, id)
);
CREATE INDEX referral_letters_client_idx ON referral_letters (practice_id, client_id, letter_date);

-- A physician's clearance after a red-flag screening. Booking is gated on it.
CREATE TABLE clearances (
    practice_id     bigint NOT NULL REFERENCES practices (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    client_id       bigint NOT NULL,
    screening_id    bigint NOT NULL,
    provider_id     bigint NOT NULL,
    provider_kind   text NOT NULL CHECK (provider_kind IN ('physician', 'spine_specialist')),
    cleared_on      date NOT NULL,
    note            text,
    letter_id       bigint,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, id),
    CONSTRAINT clearances_one_per_screening UNIQUE (practice_id, screening_id),
    FOREIGN KEY (practice_id, client_id) REFERENCES clients (practice_id, id),
    FOREIGN KEY (practice_id, screening_id) REFERENCES screenings (practice_id, id),
    FOREIGN KEY (practice_id, provider_id, provider_kind) REFERENCES providers (practice_id, id, kind),
    FOREIGN KEY (practice_id, letter_id) REFERENCES referral_letters (practice_id, id)
);

-- Who did what, when. Never names, notes or scores: entity and id only.
CREATE TABLE audit_events (
    practice_id     bigint NOT NULL REFERENCES practices (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    actor           text NOT NULL,
    action          text NOT NULL,
    entity          text NOT NULL,
    entity_id       bigint,
    PRIMARY KEY (practice_id, id)
);
CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION reject_change();
