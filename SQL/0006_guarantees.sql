-- Guarantees that hold against the application's own connection.
--
-- The application logs in as a role that owns nothing (a member of practice_app). This
-- migration, run by the owner, makes the database itself keep its promises:
--   * every trigger function fixes its search_path and qualifies every name, so temporary
--     tables that shadow ours change nothing;
--   * a note is never inserted signed; the database stamps the signing time and the times of
--     addenda and audit events;
--   * a signed note's visit and a completed visit keep their clinical facts;
--   * pain reports, pressure feedback, screenings, clearances and sent letters are append-only:
--     a correction is a new row that points to the row it supersedes;
--   * TRUNCATE is refused on every practice table;
--   * triggers write the audit log, in the same transaction, and refuse a write without an actor;
--   * row-level security keeps each practice to its own rows.
-- Grants to the application role are made by `practice migrate` (public.practice_grant_app),
-- after every run, so a role named later gets them too.

-- ---------------------------------------------------------------------------------------------
-- Helpers: the transaction-local settings the service sets in every transaction.

CREATE FUNCTION public.current_practice_id() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT nullif(pg_catalog.current_setting('practice.practice_id', true), '')::bigint
$$;

CREATE FUNCTION public.current_actor() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT nullif(pg_catalog.btrim(pg_catalog.current_setting('practice.actor', true)), '')
$$;

-- ---------------------------------------------------------------------------------------------
-- The audit log, written by the database.

ALTER TABLE audit_events
    ADD COLUMN columns text[],
    ADD COLUMN client_id bigint,
    ADD COLUMN staff_id bigint,
    ADD COLUMN recipient_provider_id bigint,
    ADD CONSTRAINT audit_events_recipient_fkey FOREIGN KEY (practice_id, recipient_provider_id)
        REFERENCES providers (practice_id, id);
CREATE INDEX audit_events_client_idx ON audit_events (practice_id, client_id, occurred_at);
CREATE INDEX audit_events_time_idx ON audit_events (practice_id, occurred_at);

-- Whoever inserts an audit event, its time is the database's.
CREATE FUNCTION public.audit_events_stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.occurred_at := pg_catalog.now();
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_stamp BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION public.audit_events_stamp();

-- One event per written row: ids, action, table and the names of changed columns. Never values.
CREATE FUNCTION public.audit_row_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    actor text := public.current_actor();
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN pg_catalog.to_jsonb(NEW) END;
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN pg_catalog.to_jsonb(OLD) END;
    row_data jsonb := coalesce(new_row, old_row);
    changed text[];
    practice bigint;
    client bigint;
BEGIN
    IF actor IS NULL THEN
        RAISE EXCEPTION 'a write to % needs an actor; the service sets practice.actor in every transaction', TG_TABLE_NAME
            USING ERRCODE = 'P0001', HINT = 'audit_actor_missing';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT coalesce(pg_catalog.array_agg(n.key ORDER BY n.key), '{}') INTO changed
        FROM pg_catalog.jsonb_each(new_row) AS n
        WHERE n.value IS DISTINCT FROM old_row -> n.key;
    END IF;
    practice := CASE WHEN TG_TABLE_NAME = 'practices' THEN (row_data ->> 'id')::bigint
                     ELSE (row_data ->> 'practice_id')::bigint END;
    client := CASE
        WHEN TG_TABLE_NAME = 'clients' THEN (row_data ->> 'id')::bigint
        WHEN row_data ? 'client_id' THEN (row_data ->> 'client_id')::bigint
        WHEN row_data ? 'appointment_id' THEN
            (SELECT a.client_id FROM public.appointments AS a
             WHERE a.practice_id = practice AND a.id = (row_data ->> 'appointment_id')::bigint)
        WHEN row_data ? 'note_id' THEN
            (SELECT a.client_id FROM public.session_notes AS n
             JOIN public.appointments AS a ON a.practice_id = n.practice_id AND a.id = n.appointment_id
             WHERE n.practice_id = practice AND n.id = (row_data ->> 'note_id')::bigint)
    END;
    -- Creating a practice scopes the rest of its transaction to it (setup adds its staff next).
    IF TG_TABLE_NAME = 'practices' AND TG_OP = 'INSERT' THEN
        PERFORM pg_catalog.set_config('practice.practice_id', practice::text, true);
    END IF;
    INSERT INTO public.audit_events (practice_id, actor, action, entity, entity_id, columns, client_id, staff_id)
    VALUES (practice, actor, pg_catalog.lower(TG_OP), TG_TABLE_NAME, (row_data ->> 'id')::bigint, changed, client,
            nullif(pg_catalog.current_setting('practice.staff_id', true), '')::bigint);
    RETURN NULL;
END
$$;

-- Reads and exports of clinical data, recorded by the service. The application cannot insert
-- into audit_events itself; this is its one way in, and it can only add read events.
CREATE FUNCTION public.record_disclosure(p_action text, p_entity text, p_entity_id bigint, p_client_id bigint,
                                         p_recipient_provider_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    actor text := public.current_actor();
    practice bigint := public.current_practice_id();
BEGIN
    IF p_action NOT IN ('read', 'export') THEN
        RAISE EXCEPTION 'only read and export events are recorded this way' USING ERRCODE = 'P0001', HINT = 'audit_read_only';
    END IF;
    IF actor IS NULL OR practice IS NULL THEN
        RAISE EXCEPTION 'a read event needs a practice and an actor' USING ERRCODE = 'P0001', HINT = 'audit_actor_missing';
    END IF;
    INSERT INTO public.audit_events (practice_id, actor, action, entity, entity_id, client_id, staff_id, recipient_provider_id)
    VALUES (practice, actor, p_action, p_entity, p_entity_id, p_client_id,
            nullif(pg_catalog.current_setting('practice.staff_id', true), '')::bigint, p_recipient_provider_id);
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Hardened versions of the existing guards.

CREATE OR REPLACE FUNCTION public.reject_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only; record a correction that supersedes the row instead', TG_TABLE_NAME
        USING ERRCODE = 'P0001', HINT = 'append_only';
END
$$;

CREATE FUNCTION public.reject_truncate() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'TRUNCATE is not allowed on %', TG_TABLE_NAME USING ERRCODE = 'P0001', HINT = 'truncate_refused';
END
$$;

-- Notes: never inserted signed; signed by the treating therapist at the database's time; then frozen.
CREATE OR REPLACE FUNCTION public.session_notes_guard_signed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    treating bigint;
    visit_status text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.signed_by IS NOT NULL OR NEW.signed_at IS NOT NULL THEN
            RAISE EXCEPTION 'a note is written as a draft and signed afterwards; it cannot be inserted signed'
                USING ERRCODE = 'P0001', HINT = 'note_inserted_signed';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.signed_at IS NOT NULL THEN
        RAISE EXCEPTION 'session note % is signed and cannot be changed; add an addendum instead', OLD.id
            USING ERRCODE = 'P0001', HINT = 'signed_note_immutable';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF (NEW.practice_id, NEW.id, NEW.appointment_id) IS DISTINCT FROM (OLD.practice_id, OLD.id, OLD.appointment_id) THEN
        RAISE EXCEPTION 'session note % cannot move to another visit', OLD.id
            USING ERRCODE = 'P0001', HINT = 'note_visit_fixed';
    END IF;
    IF NEW.signed_by IS NOT NULL THEN
        SELECT a.therapist_id, a.status INTO treating, visit_status FROM public.appointments AS a
        WHERE a.practice_id = NEW.practice_id AND a.id = NEW.appointment_id;
        IF NEW.signed_by IS DISTINCT FROM treating THEN
            RAISE EXCEPTION 'only the treating therapist (staff %) may sign note %', treating, NEW.id
                USING ERRCODE = 'P0001', HINT = 'signer_not_treating';
        END IF;
        IF visit_status IS DISTINCT FROM 'completed' THEN
            RAISE EXCEPTION 'note % belongs to a visit that is not completed and cannot be signed', NEW.id
                USING ERRCODE = 'P0001', HINT = 'sign_needs_completed_visit';
        END IF;
        NEW.signed_at := pg_catalog.now();
    ELSE
        NEW.signed_at := NULL;
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER session_notes_immutable_when_signed ON session_notes;
CREATE TRIGGER session_notes_immutable_when_signed
    BEFORE INSERT OR UPDATE OR DELETE ON session_notes
    FOR EACH ROW EXECUTE FUNCTION public.session_notes_guard_signed();

CREATE OR REPLACE FUNCTION public.note_addenda_require_signed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM public.session_notes AS n
                   WHERE n.practice_id = NEW.practice_id AND n.id = NEW.note_id AND n.signed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'note % is still a draft: edit it instead of adding an addendum', NEW.note_id
            USING ERRCODE = 'P0001', HINT = 'addendum_needs_signed_note';
    END IF;
    NEW.created_at := pg_catalog.now();
    RETURN NEW;
END
$$;

-- The appointment state machine, plus: a completed visit keeps its clinical facts, and a visit
-- whose note is signed keeps its client, therapist and times as well.
CREATE OR REPLACE FUNCTION public.appointments_guard_status() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF (NEW.practice_id, NEW.id) IS DISTINCT FROM (OLD.practice_id, OLD.id) THEN
        RAISE EXCEPTION 'appointment % cannot change its identity', OLD.id
            USING ERRCODE = 'P0001', HINT = 'appointment_state_machine';
    END IF;
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
    IF OLD.status = 'completed' AND
       (NEW.client_id, NEW.therapist_id, NEW.minutes_treated, NEW.techniques, NEW.soreness, NEW.cpt_code,
        NEW.billable_units, NEW.completed_at, NEW.completion_recorded_at)
       IS DISTINCT FROM
       (OLD.client_id, OLD.therapist_id, OLD.minutes_treated, OLD.techniques, OLD.soreness, OLD.cpt_code,
        OLD.billable_units, OLD.completed_at, OLD.completion_recorded_at) THEN
        RAISE EXCEPTION 'appointment % is completed; its client, therapist and clinical fields cannot change', OLD.id
            USING ERRCODE = 'P0001', HINT = 'completed_visit_immutable';
    END IF;
    IF EXISTS (SELECT 1 FROM public.session_notes AS n
               WHERE n.practice_id = OLD.practice_id AND n.appointment_id = OLD.id AND n.signed_at IS NOT NULL)
       AND (NEW.client_id, NEW.therapist_id, NEW.starts_at, NEW.ends_at, NEW.status, NEW.minutes_treated,
            NEW.techniques, NEW.soreness, NEW.cpt_code, NEW.billable_units)
           IS DISTINCT FROM
           (OLD.client_id, OLD.therapist_id, OLD.starts_at, OLD.ends_at, OLD.status, OLD.minutes_treated,
            OLD.techniques, OLD.soreness, OLD.cpt_code, OLD.billable_units) THEN
        RAISE EXCEPTION 'appointment % has a signed note; its client, therapist, times and clinical fields cannot change', OLD.id
            USING ERRCODE = 'P0001', HINT = 'signed_visit_immutable';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER appointments_status_machine ON appointments;
CREATE TRIGGER appointments_status_machine
    BEFORE UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION public.appointments_guard_status();

-- ---------------------------------------------------------------------------------------------
-- Append-only clinical facts, and corrections that supersede.

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['pain_reports', 'pressure_feedback', 'screenings', 'clearances', 'referral_letters'] LOOP
        EXECUTE format($f$
            ALTER TABLE public.%1$I
                ADD COLUMN supersedes_id bigint,
                ADD COLUMN corrected_by bigint,
                ADD COLUMN correction_reason text,
                ADD CONSTRAINT %1$s_supersedes_fkey FOREIGN KEY (practice_id, supersedes_id) REFERENCES public.%1$I (practice_id, id),
                ADD CONSTRAINT %1$s_corrected_by_fkey FOREIGN KEY (practice_id, corrected_by) REFERENCES public.staff (practice_id, id),
                ADD CONSTRAINT %1$s_correction_complete CHECK (
                    (supersedes_id IS NULL) = (corrected_by IS NULL)
                    AND (supersedes_id IS NULL) = (correction_reason IS NULL)
                    AND (correction_reason IS NULL OR pg_catalog.btrim(correction_reason) <> ''))
            $f$, t);
        -- A row is superseded at most once: corrections form a chain, never a fork.
        EXECUTE format('CREATE UNIQUE INDEX %1$s_supersedes_key ON public.%1$I (practice_id, supersedes_id) WHERE supersedes_id IS NOT NULL', t);
    END LOOP;
END
$$;

-- A correction is about the same thing as the row it supersedes: the same client, visit, phase.
CREATE FUNCTION public.check_correction() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    old_row jsonb;
    new_row jsonb := pg_catalog.to_jsonb(NEW);
    k text;
BEGIN
    IF NEW.supersedes_id IS NULL THEN
        RETURN NEW;
    END IF;
    EXECUTE pg_catalog.format('SELECT pg_catalog.to_jsonb(t) FROM public.%I AS t WHERE t.practice_id = $1 AND t.id = $2', TG_TABLE_NAME)
        INTO old_row USING NEW.practice_id, NEW.supersedes_id;
    IF old_row IS NULL THEN
        RAISE EXCEPTION '% % does not exist', TG_TABLE_NAME, NEW.supersedes_id USING ERRCODE = 'P0001', HINT = 'correction_target_missing';
    END IF;
    FOREACH k IN ARRAY ARRAY['client_id', 'appointment_id', 'source', 'screening_id', 'provider_id', 'direction', 'kind'] LOOP
        IF new_row ? k AND (new_row -> k) IS DISTINCT FROM (old_row -> k) THEN
            RAISE EXCEPTION 'a correction must keep the % of the row it supersedes', k
                USING ERRCODE = 'P0001', HINT = 'correction_changes_subject';
        END IF;
    END LOOP;
    RETURN NEW;
END
$$;

-- Sent and received letters are part of the record. The only change a sent letter takes is its
-- acknowledgement.
CREATE FUNCTION public.referral_letters_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'referral letters are kept; letter % cannot be deleted', OLD.id USING ERRCODE = 'P0001', HINT = 'append_only';
    END IF;
    IF OLD.status = 'draft' THEN
        IF NEW.status = 'sent' THEN
            NEW.sent_at := coalesce(NEW.sent_at, pg_catalog.now());
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status = 'sent' AND NEW.status = 'acknowledged' AND NEW.acknowledged_at IS NOT NULL
       AND (pg_catalog.to_jsonb(NEW) - 'status' - 'acknowledged_at') = (pg_catalog.to_jsonb(OLD) - 'status' - 'acknowledged_at') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'letter % is % and cannot be changed; write a new letter that supersedes it', OLD.id, OLD.status
        USING ERRCODE = 'P0001', HINT = 'sent_letter_immutable';
END
$$;
CREATE TRIGGER referral_letters_guard BEFORE UPDATE OR DELETE ON referral_letters
    FOR EACH ROW EXECUTE FUNCTION public.referral_letters_guard();

CREATE FUNCTION public.reject_delete() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION '% rows are kept and cannot be deleted', TG_TABLE_NAME USING ERRCODE = 'P0001', HINT = 'delete_refused';
END
$$;

-- Two originals per visit and phase would be ambiguous; corrections chain from the original.
DROP INDEX pain_reports_one_per_phase;
CREATE UNIQUE INDEX pain_reports_one_per_phase ON pain_reports (practice_id, appointment_id, source)
    WHERE appointment_id IS NOT NULL AND supersedes_id IS NULL;
ALTER TABLE clearances DROP CONSTRAINT clearances_one_per_screening;
CREATE UNIQUE INDEX clearances_one_per_screening ON clearances (practice_id, screening_id) WHERE supersedes_id IS NULL;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['pain_reports', 'pressure_feedback', 'screenings', 'clearances'] LOOP
        EXECUTE format('CREATE TRIGGER %1$s_append_only BEFORE UPDATE OR DELETE ON public.%1$I
                        FOR EACH ROW EXECUTE FUNCTION public.reject_change()', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['pain_reports', 'pressure_feedback', 'screenings', 'clearances', 'referral_letters'] LOOP
        EXECUTE format('CREATE TRIGGER %1$s_correction BEFORE INSERT ON public.%1$I
                        FOR EACH ROW EXECUTE FUNCTION public.check_correction()', t);
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Every practice table, found in the catalog: row-level security, the audit trigger, no TRUNCATE,
-- and no DELETE except of working hours (which are replaced as a whole week).

DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT c.relname FROM pg_catalog.pg_class AS c
        JOIN pg_catalog.pg_namespace AS s ON s.oid = c.relnamespace
        JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attname = 'practice_id' AND NOT a.attisdropped
        WHERE s.nspname = 'public' AND c.relkind = 'r'
        ORDER BY c.relname
    LOOP
        EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE public.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY practice_isolation ON public.%I
                        USING (practice_id = public.current_practice_id())
                        WITH CHECK (practice_id = public.current_practice_id())', t);
        EXECUTE format('CREATE TRIGGER %1$s_no_truncate BEFORE TRUNCATE ON public.%1$I
                        FOR EACH STATEMENT EXECUTE FUNCTION public.reject_truncate()', t);
        IF t NOT IN ('working_hours', 'audit_events', 'note_addenda', 'referral_letters', 'pain_reports',
                     'pressure_feedback', 'screenings', 'clearances') THEN
            EXECUTE format('CREATE TRIGGER %1$s_no_delete BEFORE DELETE ON public.%1$I
                            FOR EACH ROW EXECUTE FUNCTION public.reject_delete()', t);
        END IF;
        IF t <> 'audit_events' THEN
            EXECUTE format('CREATE TRIGGER %1$s_audit AFTER INSERT OR UPDATE OR DELETE ON public.%1$I
                            FOR EACH ROW EXECUTE FUNCTION public.audit_row_change()', t);
        END IF;
    END LOOP;
END
$$;

-- The practices table is the list of tenants: anyone may list it and add one (setup), but a
-- practice's own settings change only from inside that practice.
ALTER TABLE practices ENABLE ROW LEVEL SECURITY;
ALTER TABLE practices FORCE ROW LEVEL SECURITY;
CREATE POLICY practices_list ON practices FOR SELECT USING (true);
CREATE POLICY practices_add ON practices FOR INSERT WITH CHECK (true);
CREATE POLICY practices_own ON practices FOR UPDATE USING (id = public.current_practice_id())
    WITH CHECK (id = public.current_practice_id());
CREATE TRIGGER practices_audit AFTER INSERT OR UPDATE ON practices
    FOR EACH ROW EXECUTE FUNCTION public.audit_row_change();
CREATE TRIGGER practices_no_delete BEFORE DELETE ON practices FOR EACH ROW EXECUTE FUNCTION public.reject_delete();
CREATE TRIGGER practices_no_truncate BEFORE TRUNCATE ON practices FOR EACH STATEMENT EXECUTE FUNCTION public.reject_truncate();

-- ---------------------------------------------------------------------------------------------
-- What the application role may do. `practice migrate` calls this after every run, for the
-- practice_app group role and for the login role DATABASE_URL names.

CREATE FUNCTION public.practice_grant_app(app_role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t text;
BEGIN
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', app_role);
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app_role);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA public TO %I', app_role);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', app_role);
    FOR t IN
        SELECT c.relname FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS s ON s.oid = c.relnamespace
        WHERE s.nspname = 'public' AND c.relkind = 'r' AND c.relname NOT IN ('audit_events', 'schema_migrations')
    LOOP
        EXECUTE format('GRANT INSERT ON public.%I TO %I', t, app_role);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['practices', 'staff', 'providers', 'clients', 'appointment_series', 'appointments',
                             'session_notes', 'referral_letters', 'client_discharges', 'working_hours'] LOOP
        EXECUTE format('GRANT UPDATE ON public.%I TO %I', t, app_role);
    END LOOP;
    EXECUTE format('GRANT DELETE ON public.working_hours TO %I', app_role);
END
$$;
REVOKE ALL ON FUNCTION public.practice_grant_app(name) FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- 0003 gave practice_app every privilege on future tables; practice_grant_app decides instead.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'practice_app') THEN
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM practice_app;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM practice_app;
    END IF;
END
$$;
