-- Session records: who may sign a note, addenda only on signed notes, and the application role.

-- A note is signed by the therapist who treated the session, and then never changes.
CREATE OR REPLACE FUNCTION session_notes_guard_signed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    treating bigint;
BEGIN
    IF OLD.signed_at IS NOT NULL THEN
        RAISE EXCEPTION 'session note % is signed and cannot be changed; add an addendum instead', OLD.id
            USING ERRCODE = 'P0001', HINT = 'signed_note_immutable';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.signed_at IS NOT NULL THEN
        SELECT therapist_id INTO treating FROM appointments
        WHERE practice_id = NEW.practice_id AND id = NEW.appointment_id;
        IF NEW.signed_by IS DISTINCT FROM treating THEN
            RAISE EXCEPTION 'only the treating therapist (staff %) may sign note %', treating, NEW.id
                USING ERRCODE = 'P0001', HINT = 'signer_not_treating';
        END IF;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE FUNCTION note_addenda_require_signed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM session_notes
                   WHERE practice_id = NEW.practice_id AND id = NEW.note_id AND signed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'note % is still a draft: edit it instead of adding an addendum', NEW.note_id
            USING ERRCODE = 'P0001', HINT = 'addendum_needs_signed_note';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER note_addenda_on_signed_notes
    BEFORE INSERT ON note_addenda
    FOR EACH ROW EXECUTE FUNCTION note_addenda_require_signed();

CREATE INDEX pressure_feedback_appointment_idx ON pressure_feedback (practice_id, appointment_id);

-- The application's role: reads and writes rows, owns nothing, so it can neither drop nor
-- disable the triggers that keep signed notes and the audit log unchanged. Roles belong to the
-- whole server, so it is created once, and only where we may create roles.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'practice_app')
       AND (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
        BEGIN
            CREATE ROLE practice_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another database's migration created it a moment ago
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'practice_app') THEN
        GRANT USAGE ON SCHEMA public TO practice_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO practice_app;
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO practice_app;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO practice_app;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO practice_app;
    END IF;
END
$$;
