-- The audit log, written once per statement instead of once per row.
--
-- 0006's audit_row_change() ran after every written row: PL/pgSQL, to_jsonb() of the row (twice
-- for an update), a lookup of the client, and an INSERT into audit_events, which fired
-- audit_events_stamp, the row-level security check and the foreign keys, for that one row. Bulk
-- statements (`practice demo --scale`: INSERT … SELECT of a chunk of clients' visits, pain
-- scores, notes) spent most of their time there. Measured on a 2,000-client practice, per row of
-- a 10,000-row statement, besides the 20-90 µs the row itself costs: 64-72 µs for a pain score,
-- 128-141 µs for a pressure-feedback entry (its client looked up through the visit), 82-99 µs for
-- an addendum, 80-87 µs for an updated visit. Written per statement: 9-11, 14-15, 19-22 and
-- 18-29 µs, and `practice demo --scale 2000` takes 6 s instead of 12.5 s. A statement of one row
-- costs about what it did.
--
-- Every practice table but practices now has three statement-level AFTER triggers, one per event
-- (PostgreSQL gives transition tables only to a trigger of a single event), that see the
-- statement's rows as transition tables (new_rows, old_rows) and write all of their events with
-- one INSERT … SELECT. The events are the ones audit_row_change() wrote, field for field: the
-- row's practice, the actor, the action, the table, the row's id, the client and the staff
-- member, and for an update the sorted names of the columns whose values changed ('{}' when none
-- did). A statement that writes rows without an actor is refused with the same error and hint;
-- one that writes no row is not refused, as the row trigger never fired for it. What differs is
-- the order of the events' ids: one statement's events are numbered in the order of their rows'
-- primary keys (row order before), and the events of a statement that writes several tables (a
-- writable CTE) come table by table instead of interleaved.
--
-- Each table gets its own trigger function, generated from the catalog by
-- public.audit_install(table), so that its SQL names the table's columns, compares them as
-- columns rather than as jsonb, and is planned once per session. A migration that adds a practice
-- table calls public.audit_install for it (instead of creating a `_audit` row trigger, as 0008
-- did), and one that adds, drops or renames a column of a practice table calls it again for that
-- table. Until then an added column is noticed and the update falls back to comparing the rows as
-- jsonb, as audit_row_change() did (slower, never wrong; with a WARNING in the log); a dropped or
-- renamed column makes the table's updates fail until the function is generated again.
--
-- practices keeps audit_row_change(), per row: inserting a practice also scopes the rest of its
-- transaction to it (practice.practice_id), and practices are written one at a time.

-- ---------------------------------------------------------------------------------------------
-- audit_events_stamp, only when there is something to stamp.
--
-- An event's time is the transaction's, whatever the inserter sends. The events the triggers and
-- record_disclosure() write take the column's default, now(), so the PL/pgSQL call is skipped
-- for them (4-5 µs an event); any other value, NULL included, is still overwritten.

DROP TRIGGER audit_events_stamp ON audit_events;
CREATE TRIGGER audit_events_stamp BEFORE INSERT ON audit_events
    FOR EACH ROW WHEN (NEW.occurred_at IS DISTINCT FROM pg_catalog.now())
    EXECUTE FUNCTION public.audit_events_stamp();

-- ---------------------------------------------------------------------------------------------
-- The generator.
--
-- What it reads from the catalog, once, where audit_row_change() looked at every row's jsonb:
--   * the row id: the table's `id` column, or NULL for a table without one (working_hours,
--     idempotency_keys);
--   * the client, decided as audit_row_change() decided it: a client's own id; a client_id
--     column; else the client of the visit, through appointment_id; else the client of the note's
--     visit, through note_id; else none. The lookups name the row's practice and are scalar
--     subqueries, so each is a primary-key lookup, whatever the statement's size;
--   * the primary key, which orders the events and pairs an updated row's old and new versions.
--     An update that changes a primary key (working_hours' is its therapist, weekday and start,
--     which the application's role may update) pairs them by position instead: PostgreSQL adds a
--     row's old and new versions to the two transition tables in the same step, so the n-th old
--     row is the n-th new row's, as OLD and NEW were. With primary keys checked immediately, an
--     update whose rows all keep their keys is the only one in which every old key is found
--     again among the new ones;
--   * the columns, sorted as audit_row_change() sorted them (by name, in the database's
--     collation), each compared with IS DISTINCT FROM, which for the scalar types here is what
--     comparing their jsonb did; other types (arrays: jsonb ignores an array's lower bounds) are
--     still compared as jsonb.
--
-- The generated functions run with:
--   * search_path = pg_catalog, pg_temp and every name qualified, like every trigger function;
--   * SECURITY DEFINER: the application's role cannot insert into audit_events itself;
--   * enable_nestloop = off: PL/pgSQL plans a statement once per session and keeps the plan,
--     with the row count of the first call's transition tables as its estimate. Planned for a
--     one-row update, pairing the old and new rows is a nested loop over the two transition
--     tables, and the session's next bulk update goes quadratic (10,000 appointments: 18 s instead
--     of 1.2 s). A hash join is linear at every size. The client lookups are single-table index
--     scans, which the setting does not touch.

CREATE FUNCTION public.audit_install(target regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $install$
DECLARE
    t text;
    function_name text;
    column_slots smallint;
    key_columns text[];
    live_columns text[];
    id_sql text;
    client_sql text;
    changed_sql text;
    key_match text;
    key_order text;
    old_keys text;
    new_keys text;
    actor_check text;
    old_trigger name;
    staff_sql text := '(SELECT nullif(pg_catalog.current_setting(''practice.staff_id'', true), '''')::bigint)';
    jsonb_changed_sql text := $sql$(SELECT coalesce(pg_catalog.array_agg(e.key ORDER BY e.key), '{}')
                         FROM pg_catalog.jsonb_each(pg_catalog.to_jsonb(r)) AS e
                         WHERE e.value IS DISTINCT FROM pg_catalog.to_jsonb(o) -> e.key)$sql$;
BEGIN
    SELECT c.relname, c.relnatts INTO t, column_slots
    FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS s ON s.oid = c.relnamespace
    WHERE c.oid = target AND s.nspname = 'public' AND c.relkind = 'r';
    IF t IS NULL OR t IN ('audit_events', 'practices') OR NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = target AND a.attname = 'practice_id' AND NOT a.attisdropped) THEN
        RAISE EXCEPTION '% is not a practice table that audit_install audits', target;
    END IF;
    function_name := 'audit_' || t;

    SELECT pg_catalog.array_agg(a.attname::text ORDER BY k.n) INTO key_columns
    FROM pg_catalog.pg_index AS i
    CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = target AND i.indisprimary;
    IF key_columns IS NULL THEN
        RAISE EXCEPTION '% has no primary key to pair an update''s old and new rows by', target;
    END IF;

    SELECT pg_catalog.array_agg(a.attname::text ORDER BY a.attnum) INTO live_columns
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped;
    IF live_columns && ARRAY['audit_actor', 'audit_columns_added', 'audit_keys_moved', 'audit_position'] THEN
        RAISE EXCEPTION '% has a column named like a variable of its audit trigger (audit_…)', target;
    END IF;

    id_sql := CASE WHEN 'id' = ANY (live_columns) THEN 'r.id' ELSE 'NULL::bigint' END;
    client_sql := CASE
        WHEN t = 'clients' THEN 'r.id'
        WHEN 'client_id' = ANY (live_columns) THEN 'r.client_id'
        WHEN 'appointment_id' = ANY (live_columns) THEN
            '(SELECT a.client_id FROM public.appointments AS a
              WHERE a.practice_id = r.practice_id AND a.id = r.appointment_id)'
        WHEN 'note_id' = ANY (live_columns) THEN
            '(SELECT a.client_id FROM public.appointments AS a
              WHERE a.practice_id = r.practice_id
                AND a.id = (SELECT n.appointment_id FROM public.session_notes AS n
                            WHERE n.practice_id = r.practice_id AND n.id = r.note_id))'
        ELSE 'NULL::bigint' END;

    SELECT E'pg_catalog.array_remove(ARRAY[\n                       ' || pg_catalog.string_agg(
               pg_catalog.format(
                   CASE WHEN y.typtype <> 'b' OR y.typcategory = 'A'
                             OR a.atttypid NOT IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'bool'::regtype,
                                                   'text'::regtype, 'varchar'::regtype, 'numeric'::regtype,
                                                   'date'::regtype, 'time'::regtype, 'timestamptz'::regtype,
                                                   'timestamp'::regtype, 'bytea'::regtype)
                        THEN 'CASE WHEN pg_catalog.to_jsonb(o.%1$I) IS DISTINCT FROM pg_catalog.to_jsonb(r.%1$I) THEN %2$L END'
                        ELSE 'CASE WHEN o.%1$I IS DISTINCT FROM r.%1$I THEN %2$L END' END,
                   a.attname, a.attname::text),
               E',\n                       ' ORDER BY a.attname::text COLLATE "default") || ']::text[], NULL)'
    INTO changed_sql
    FROM pg_catalog.pg_attribute AS a JOIN pg_catalog.pg_type AS y ON y.oid = a.atttypid
    WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped;
    changed_sql := pg_catalog.format(E'CASE WHEN audit_columns_added THEN %s\n                   ELSE %s END',
                                     jsonb_changed_sql, changed_sql);

    SELECT pg_catalog.string_agg(pg_catalog.format('o.%1$I = r.%1$I', c), ' AND '),
           pg_catalog.string_agg(pg_catalog.format('r.%I', c), ', '),
           pg_catalog.string_agg(pg_catalog.format('o.%I', c), ', ')
    INTO key_match, key_order, old_keys
    FROM pg_catalog.unnest(key_columns) AS c;
    new_keys := key_order;

    actor_check := $check$
        IF audit_actor IS NULL THEN
            IF EXISTS (SELECT FROM %s) THEN
                RAISE EXCEPTION 'a write to %% needs an actor; the service sets practice.actor in every transaction', TG_TABLE_NAME
                    USING ERRCODE = 'P0001', HINT = 'audit_actor_missing';
            END IF;
            RETURN NULL;
        END IF;$check$;

    EXECUTE pg_catalog.format($function$
CREATE OR REPLACE FUNCTION public.%1$I() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET enable_nestloop = off AS $body$
-- Generated by public.audit_install(%2$L) (migration 0013_statement_audit): the audit events of
-- one statement on %3$I. Do not edit; call audit_install again.
DECLARE
    audit_actor text := public.current_actor();
    audit_columns_added boolean;
    audit_keys_moved boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN%4$s
        INSERT INTO public.audit_events (practice_id, actor, action, entity, entity_id, columns, client_id, staff_id)
        SELECT r.practice_id, audit_actor, 'insert', TG_TABLE_NAME, %5$s, NULL, %6$s, %13$s
        FROM new_rows AS r
        ORDER BY %7$s;
    ELSIF TG_OP = 'DELETE' THEN%8$s
        INSERT INTO public.audit_events (practice_id, actor, action, entity, entity_id, columns, client_id, staff_id)
        SELECT r.practice_id, audit_actor, 'delete', TG_TABLE_NAME, %5$s, NULL, %6$s, %13$s
        FROM old_rows AS r
        ORDER BY %7$s;
    ELSE%4$s
        SELECT c.relnatts <> %9$s, EXISTS (SELECT %11$s FROM old_rows AS o EXCEPT ALL SELECT %12$s FROM new_rows AS r)
        INTO audit_columns_added, audit_keys_moved
        FROM pg_catalog.pg_class AS c WHERE c.oid = TG_RELID;
        IF audit_columns_added THEN
            RAISE WARNING 'the audit trigger of %% predates a column added to it; a migration should call public.audit_install for it',
                TG_TABLE_NAME;
        END IF;
        IF NOT audit_keys_moved THEN
            INSERT INTO public.audit_events (practice_id, actor, action, entity, entity_id, columns, client_id, staff_id)
            SELECT r.practice_id, audit_actor, 'update', TG_TABLE_NAME, %5$s,
                   %14$s,
                   %6$s, %13$s
            FROM new_rows AS r JOIN old_rows AS o ON %10$s
            ORDER BY %7$s;
        ELSE
            INSERT INTO public.audit_events (practice_id, actor, action, entity, entity_id, columns, client_id, staff_id)
            SELECT r.practice_id, audit_actor, 'update', TG_TABLE_NAME, %5$s,
                   %14$s,
                   %6$s, %13$s
            FROM (SELECT pg_catalog.row_number() OVER () AS audit_position, n.* FROM new_rows AS n) AS r
            JOIN (SELECT pg_catalog.row_number() OVER () AS audit_position, p.* FROM old_rows AS p) AS o
                ON o.audit_position = r.audit_position
            ORDER BY %7$s;
        END IF;
    END IF;
    RETURN NULL;
END
$body$
$function$,
        function_name,                                  -- 1
        target::text,                                   -- 2
        t,                                              -- 3
        pg_catalog.format(actor_check, 'new_rows'),     -- 4
        id_sql,                                         -- 5
        client_sql,                                     -- 6
        key_order,                                      -- 7
        pg_catalog.format(actor_check, 'old_rows'),     -- 8
        column_slots,                                   -- 9
        key_match,                                      -- 10
        old_keys,                                       -- 11
        new_keys,                                       -- 12
        staff_sql,                                      -- 13
        changed_sql);                                   -- 14

    -- 0006's (or 0008's) row trigger, and this function's own from an earlier call.
    FOR old_trigger IN
        SELECT g.tgname FROM pg_catalog.pg_trigger AS g
        WHERE g.tgrelid = target AND NOT g.tgisinternal
          AND g.tgname IN (t || '_audit', t || '_audit_insert', t || '_audit_update', t || '_audit_delete')
    LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER %I ON public.%I', old_trigger, t);
    END LOOP;
    EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER INSERT ON public.%I REFERENCING NEW TABLE AS new_rows
                               FOR EACH STATEMENT EXECUTE FUNCTION public.%I()', t || '_audit_insert', t, function_name);
    EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER UPDATE ON public.%I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                               FOR EACH STATEMENT EXECUTE FUNCTION public.%I()', t || '_audit_update', t, function_name);
    EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER DELETE ON public.%I REFERENCING OLD TABLE AS old_rows
                               FOR EACH STATEMENT EXECUTE FUNCTION public.%I()', t || '_audit_delete', t, function_name);
END
$install$;
REVOKE ALL ON FUNCTION public.audit_install(regclass) FROM PUBLIC;

-- Every practice table, found in the catalog as 0006 found them: every table of the schema with
-- a practice_id, but audit_events itself (and practices, above).
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT c.relname FROM pg_catalog.pg_class AS c
        JOIN pg_catalog.pg_namespace AS s ON s.oid = c.relnamespace
        JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attname = 'practice_id' AND NOT a.attisdropped
        WHERE s.nspname = 'public' AND c.relkind = 'r' AND c.relname NOT IN ('audit_events', 'practices')
        ORDER BY c.relname
    LOOP
        PERFORM public.audit_install(pg_catalog.format('public.%I', t)::regclass);
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Lookups by practice in the row triggers: generic plans.
--
-- PL/pgSQL plans a trigger's query with the row's values ("custom plans") for its first five
-- executions in a session, and afterwards whenever they look cheaper. For a practice the
-- statistics have not seen yet (one created beside a big one and filled in the same transaction,
-- as `practice demo --scale … --practices 2` does), practice_id = <the new practice> is estimated
-- at one row, every index that starts with practice_id costs the same, and the planner takes
-- appointments_practice_time_idx (practice_id, starts_at) for the note trigger's visit and
-- session_notes_one_per_appointment for the addendum trigger's note, filtering on id: each lookup
-- reads all of the new practice's visits or notes so far. Measured beside a committed
-- 100,000-client practice: 4 ms per signed note and 18 ms per addendum. A generic plan estimates
-- practice_id by the column's average and takes the primary key, whatever the practice. So these
-- functions always use generic plans, whatever the session's plan_cache_mode. (The foreign-key
-- checks PostgreSQL makes for the same rows are cached plans too, but they follow the session's
-- plan_cache_mode: a bulk writer should still set it for its transaction.)
--
-- The generated audit functions need no such setting: their lookups take the practice and id
-- from the transition table's rows, values no plan is made for. check_correction's lookup is an
-- EXECUTE, planned at every call with its values; it runs only for corrections.

ALTER FUNCTION public.session_notes_guard_signed() SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION public.note_addenda_require_signed() SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION public.appointments_guard_status() SET plan_cache_mode = force_generic_plan;
