-- The HTTP API: staff bearer tokens (only their SHA-256 is kept) and idempotency keys, so a
-- retried booking or completion is answered from the first attempt instead of running twice.

CREATE TABLE staff_tokens (
    practice_id     bigint NOT NULL REFERENCES practices (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    staff_id        bigint NOT NULL,
    token_sha256    bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    label           text CHECK (btrim(label) <> '' AND length(label) <= 200),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, staff_id) REFERENCES staff (practice_id, id),
    CHECK (expires_at > created_at),
    CHECK (expires_at <= created_at + interval '366 days')
);
CREATE INDEX staff_tokens_staff_idx ON staff_tokens (practice_id, staff_id);

-- A token is stamped by the database when made, and afterwards may only be revoked, once.
CREATE FUNCTION public.staff_tokens_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.created_at := pg_catalog.now();
        NEW.revoked_at := NULL;
        RETURN NEW;
    END IF;
    IF OLD.revoked_at IS NOT NULL THEN
        RAISE EXCEPTION 'token % is already revoked', OLD.id USING ERRCODE = 'P0001', HINT = 'token_revoked';
    END IF;
    IF (NEW.practice_id, NEW.id, NEW.staff_id, NEW.token_sha256, NEW.label, NEW.created_at, NEW.expires_at)
       IS DISTINCT FROM (OLD.practice_id, OLD.id, OLD.staff_id, OLD.token_sha256, OLD.label, OLD.created_at, OLD.expires_at)
       OR NEW.revoked_at IS NULL THEN
        RAISE EXCEPTION 'a token can only be revoked' USING ERRCODE = 'P0001', HINT = 'token_immutable';
    END IF;
    NEW.revoked_at := pg_catalog.now();
    RETURN NEW;
END
$$;
CREATE TRIGGER staff_tokens_guard BEFORE INSERT OR UPDATE ON staff_tokens
    FOR EACH ROW EXECUTE FUNCTION public.staff_tokens_guard();

CREATE TABLE idempotency_keys (
    practice_id     bigint NOT NULL REFERENCES practices (id),
    staff_id        bigint NOT NULL,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    operation       text NOT NULL CHECK (length(operation) BETWEEN 1 AND 100),
    request_sha256  bytea NOT NULL CHECK (length(request_sha256) = 32),
    status          integer NOT NULL CHECK (status BETWEEN 200 AND 299),
    location        text,
    response        bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, staff_id, key),
    FOREIGN KEY (practice_id, staff_id) REFERENCES staff (practice_id, id)
);

-- Both tables are practice tables like the others: isolated by practice, audited, never
-- truncated or deleted from.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['staff_tokens', 'idempotency_keys'] LOOP
        EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE public.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY practice_isolation ON public.%I
                        USING (practice_id = public.current_practice_id())
                        WITH CHECK (practice_id = public.current_practice_id())', t);
        EXECUTE format('CREATE TRIGGER %1$s_no_truncate BEFORE TRUNCATE ON public.%1$I
                        FOR EACH STATEMENT EXECUTE FUNCTION public.reject_truncate()', t);
        EXECUTE format('CREATE TRIGGER %1$s_no_delete BEFORE DELETE ON public.%1$I
                        FOR EACH ROW EXECUTE FUNCTION public.reject_delete()', t);
        EXECUTE format('CREATE TRIGGER %1$s_audit AFTER INSERT OR UPDATE OR DELETE ON public.%1$I
                        FOR EACH ROW EXECUTE FUNCTION public.audit_row_change()', t);
    END LOOP;
END
$$;

-- Before a request's practice is known, the server may see exactly one token row: the one whose
-- digest it names in `practice.token_lookup`, which it can only know by holding the token.
CREATE POLICY token_lookup ON staff_tokens FOR SELECT
    USING (pg_catalog.encode(token_sha256, 'hex') = pg_catalog.current_setting('practice.token_lookup', true));

-- The app role may now also revoke tokens.
CREATE OR REPLACE FUNCTION public.practice_grant_app(app_role name) RETURNS void
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
                             'session_notes', 'referral_letters', 'client_discharges', 'working_hours',
                             'staff_tokens'] LOOP
        EXECUTE format('GRANT UPDATE ON public.%I TO %I', t, app_role);
    END LOOP;
    EXECUTE format('GRANT DELETE ON public.working_hours TO %I', app_role);
END
$$;
REVOKE ALL ON FUNCTION public.practice_grant_app(name) FROM PUBLIC;
