-- `client list --search` and GET /clients?search= find a part of a client's name, phone or email
-- in any case (ILIKE '%text%'). 0011's trigram indexes were meant to serve that, but the app role
-- never used them: row-level security evaluates a policy before any of the user's conditions, and
-- may only let a condition use an index ahead of it when the condition's function is LEAKPROOF
-- (it could otherwise reveal, through an error, rows of another practice). ILIKE is not, so every
-- search read every client of the practice: 110 ms at 100,000 clients, 1 ms through the index.
--
-- Equality on text and bigint is leakproof. So this table holds every three-character piece
-- ("gram") of each client's lower-cased name, phone and email, keyed (practice_id, gram,
-- client_id): a search looks up the grams of its lower-cased text by that key, keeps the clients
-- that have all of them, and checks those few with ILIKE as before, so it finds exactly what the
-- full scan found (ILIKE compares lower(text) with lower(pattern) in this database's encoding).
-- Searches shorter than three characters still scan.
--
-- The table is derived data: statement-level triggers on clients keep it, in the same
-- transaction, as the schema's owner (SECURITY DEFINER); row-level security binds them like
-- everyone. It has no audit trigger (the client's own row is audited), and no foreign key
-- (clients are never deleted). The app role may read it and, like every table, insert, which can
-- only add candidates that ILIKE then rejects; it cannot change or delete grams.
CREATE TABLE client_search_grams (
    practice_id bigint NOT NULL,
    gram text COLLATE "C" NOT NULL,
    client_id bigint NOT NULL,
    PRIMARY KEY (practice_id, gram, client_id)
);

-- A client's grams: each distinct three-character piece of its lower-cased fields.
CREATE FUNCTION public.client_grams(p_name text, p_phone text, p_email text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT DISTINCT pg_catalog.substr(f.t, i, 3) COLLATE "C"
    FROM (VALUES (pg_catalog.lower(p_name)), (pg_catalog.lower(p_phone)), (pg_catalog.lower(p_email))) AS f(t),
         pg_catalog.generate_series(1, pg_catalog.length(f.t) - 2) AS i
    WHERE f.t IS NOT NULL
$$;

CREATE FUNCTION public.client_search_grams_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO public.client_search_grams (practice_id, gram, client_id)
    SELECT n.practice_id, g, n.id FROM new_rows n, public.client_grams(n.name, n.phone, n.email) AS g;
    RETURN NULL;
END
$$;

CREATE FUNCTION public.client_search_grams_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Only the clients whose searchable text changed.
    DELETE FROM public.client_search_grams g
    USING new_rows n JOIN old_rows o ON o.practice_id = n.practice_id AND o.id = n.id
    WHERE g.practice_id = n.practice_id AND g.client_id = n.id
      AND (o.name, o.phone, o.email) IS DISTINCT FROM (n.name, n.phone, n.email);
    INSERT INTO public.client_search_grams (practice_id, gram, client_id)
    SELECT n.practice_id, g, n.id
    FROM new_rows n JOIN old_rows o ON o.practice_id = n.practice_id AND o.id = n.id,
         public.client_grams(n.name, n.phone, n.email) AS g
    WHERE (o.name, o.phone, o.email) IS DISTINCT FROM (n.name, n.phone, n.email);
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION public.client_search_grams_insert() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.client_search_grams_update() FROM PUBLIC;

CREATE TRIGGER clients_search_grams_insert AFTER INSERT ON clients
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.client_search_grams_insert();
CREATE TRIGGER clients_search_grams_update AFTER UPDATE ON clients
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.client_search_grams_update();

-- The clients already here. Row-level security binds the owner too (FORCE); it is lifted on
-- clients for this statement only, inside the migration's transaction.
ALTER TABLE clients NO FORCE ROW LEVEL SECURITY;
INSERT INTO client_search_grams (practice_id, gram, client_id)
SELECT c.practice_id, g, c.id FROM clients c, public.client_grams(c.name, c.phone, c.email) AS g;
ALTER TABLE clients FORCE ROW LEVEL SECURITY;

ALTER TABLE client_search_grams ENABLE ROW LEVEL SECURITY;
ALTER TABLE client_search_grams FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_isolation ON client_search_grams
    USING (practice_id = public.current_practice_id())
    WITH CHECK (practice_id = public.current_practice_id());
CREATE TRIGGER client_search_grams_no_truncate BEFORE TRUNCATE ON client_search_grams
    FOR EACH STATEMENT EXECUTE FUNCTION public.reject_truncate();

-- Unused by the app role (above); every client write paid for them.
DROP INDEX clients_name_trgm;
DROP INDEX clients_phone_trgm;
DROP INDEX clients_email_trgm;
