-- What earlier migrations left undone for rows written before them.
--
--  1. 0007 checks that names are in Unicode NFC, NOT VALID: names typed decomposed before it
--     stayed as typed, so search by the NFC spelling missed them and the unique keys (which
--     compare lower(name)) let the same person be registered again. Every name not in NFC is
--     normalised here, unless the normalised name would collide under its table's unique key
--     with another row (clients: practice, lower(name), date of birth; staff: practice,
--     lower(name); practices: name; providers have no key on their name). Those are duplicates a
--     person must merge: they stay as typed, and so does their table's check, NOT VALID. A table
--     with no name left out of NFC has its check validated. The audit trigger records each
--     change (action update, columns {name}, actor migration:0010).
--  2. 0006 added audit_events.client_id without filling it in: the rows written before it (which
--     name the entity in the singular, 'client', 'appointment', where the triggers write the
--     table's name) were left out of `practice audit --client`. Their client is filled in where
--     the entity's row names it: the client itself, or the row's client_id, or the client of its
--     visit or note. Nothing else in those rows changes, and a row whose entity cannot be found
--     keeps no client.
--
-- The migrating role owns the tables, but row-level security is forced on it (0006, 0008), and
-- audit_events refuses every UPDATE (audit_events_append_only). For this transaction only, the
-- forced tables are unforced and that one trigger is disabled; both are put back below, in the
-- same transaction, so no other session ever sees them off.

DO $$
DECLARE
    forced text[];
    t text;
BEGIN
    -- The audit trigger refuses a write without an actor; the migration is the actor. The value
    -- in force before is put back at the end.
    PERFORM pg_catalog.set_config('practice.migration_0010_actor',
                                  coalesce(pg_catalog.current_setting('practice.actor', true), ''), true);
    PERFORM pg_catalog.set_config('practice.actor', 'migration:0010', true);

    SELECT coalesce(pg_catalog.array_agg(c.relname::text ORDER BY c.relname), '{}') INTO forced
    FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS s ON s.oid = c.relnamespace
    WHERE s.nspname = 'public' AND c.relkind = 'r' AND c.relforcerowsecurity;
    PERFORM pg_catalog.set_config('practice.migration_0010_forced', forced::text, true);
    FOREACH t IN ARRAY forced LOOP
        EXECUTE pg_catalog.format('ALTER TABLE public.%I NO FORCE ROW LEVEL SECURITY', t);
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- 1. Names in NFC.
--
-- A row is left as typed when another row with the rest of its key (the same practice; for a
-- client, the same date of birth) has, typed or normalised, the name this one would get: that
-- covers an NFC twin, and two spellings that both normalise to one name (each sees the other, so
-- neither changes). The comparison sees the rows as they were before the statement. A name whose
-- NFC would fail the table's check on names (NFC can be longer: U+0344 becomes two characters)
-- is left too.

UPDATE public.clients AS c SET name = normalize(c.name, NFC)
WHERE NOT c.name IS NFC NORMALIZED
  AND btrim(normalize(c.name, NFC)) <> '' AND length(normalize(c.name, NFC)) <= 200
  AND NOT EXISTS (
      SELECT 1 FROM public.clients AS o
      WHERE o.practice_id = c.practice_id AND o.id <> c.id AND o.date_of_birth = c.date_of_birth
        AND lower(normalize(c.name, NFC)) IN (lower(o.name), lower(normalize(o.name, NFC))));

UPDATE public.staff AS f SET name = normalize(f.name, NFC)
WHERE NOT f.name IS NFC NORMALIZED
  AND btrim(normalize(f.name, NFC)) <> '' AND length(normalize(f.name, NFC)) <= 200
  AND NOT EXISTS (
      SELECT 1 FROM public.staff AS o
      WHERE o.practice_id = f.practice_id AND o.id <> f.id
        AND lower(normalize(f.name, NFC)) IN (lower(o.name), lower(normalize(o.name, NFC))));

-- Providers: no unique key includes the name.
UPDATE public.providers AS v SET name = normalize(v.name, NFC)
WHERE NOT v.name IS NFC NORMALIZED
  AND btrim(normalize(v.name, NFC)) <> '' AND length(normalize(v.name, NFC)) <= 200;

-- Practices: UNIQUE (name), across all practices, compared exactly.
UPDATE public.practices AS p SET name = normalize(p.name, NFC)
WHERE NOT p.name IS NFC NORMALIZED
  AND btrim(normalize(p.name, NFC)) <> '' AND length(normalize(p.name, NFC)) <= 200
  AND NOT EXISTS (
      SELECT 1 FROM public.practices AS o
      WHERE o.id <> p.id AND normalize(p.name, NFC) IN (o.name, normalize(o.name, NFC)));

-- Each table whose names are now all in NFC has its check validated; the others keep it NOT
-- VALID (new and changed rows are still checked) until the duplicates are merged.
DO $$
DECLARE
    t text;
    left_as_typed bigint[];
BEGIN
    FOREACH t IN ARRAY ARRAY['clients', 'staff', 'providers', 'practices'] LOOP
        EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(t.id ORDER BY t.id) FROM public.%I AS t
                                   WHERE NOT t.name IS NFC NORMALIZED', t)
            INTO left_as_typed;
        IF left_as_typed IS NULL THEN
            IF EXISTS (SELECT 1 FROM pg_catalog.pg_constraint AS k
                       WHERE k.conrelid = pg_catalog.format('public.%I', t)::regclass
                         AND k.conname = t || '_name_nfc' AND NOT k.convalidated) THEN
                EXECUTE pg_catalog.format('ALTER TABLE public.%I VALIDATE CONSTRAINT %I', t, t || '_name_nfc');
            END IF;
        ELSE
            -- Ids only: names are health information, and notices end up in logs.
            RAISE NOTICE '0010: % % keep names not in NFC (duplicates to merge, or too long in NFC); %_name_nfc stays NOT VALID',
                t, left_as_typed, t;
        END IF;
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- 2. The client of audit events written before 0006.
--
-- Entities as the application wrote them before 0006 (singular) and as the triggers write them
-- since (the table's name). Every join names the event's practice: ids are per practice.

ALTER TABLE public.audit_events DISABLE TRIGGER audit_events_append_only;

-- The client itself (registration, discharge, readmission).
UPDATE public.audit_events AS e SET client_id = c.id
FROM public.clients AS c
WHERE e.client_id IS NULL AND e.entity IN ('client', 'clients')
  AND c.practice_id = e.practice_id AND c.id = e.entity_id;

-- Rows that name their client.
UPDATE public.audit_events AS e SET client_id = r.client_id
FROM public.screenings AS r
WHERE e.client_id IS NULL AND e.entity IN ('screening', 'screenings')
  AND r.practice_id = e.practice_id AND r.id = e.entity_id;

UPDATE public.audit_events AS e SET client_id = r.client_id
FROM public.clearances AS r
WHERE e.client_id IS NULL AND e.entity IN ('clearance', 'clearances')
  AND r.practice_id = e.practice_id AND r.id = e.entity_id;

UPDATE public.audit_events AS e SET client_id = r.client_id
FROM public.referral_letters AS r
WHERE e.client_id IS NULL AND e.entity IN ('referral_letter', 'referral_letters')
  AND r.practice_id = e.practice_id AND r.id = e.entity_id;

UPDATE public.audit_events AS e SET client_id = r.client_id
FROM public.pain_reports AS r
WHERE e.client_id IS NULL AND e.entity IN ('pain_report', 'pain_reports')
  AND r.practice_id = e.practice_id AND r.id = e.entity_id;

UPDATE public.audit_events AS e SET client_id = r.client_id
FROM public.appointments AS r
WHERE e.client_id IS NULL AND e.entity IN ('appointment', 'appointments')
  AND r.practice_id = e.practice_id AND r.id = e.entity_id;

UPDATE public.audit_events AS e SET client_id = r.client_id
FROM public.appointment_series AS r
WHERE e.client_id IS NULL AND e.entity = 'appointment_series'
  AND r.practice_id = e.practice_id AND r.id = e.entity_id;

UPDATE public.audit_events AS e SET client_id = r.client_id
FROM public.client_discharges AS r
WHERE e.client_id IS NULL AND e.entity = 'client_discharges'
  AND r.practice_id = e.practice_id AND r.id = e.entity_id;

-- Rows of a visit: the visit's client.
UPDATE public.audit_events AS e SET client_id = a.client_id
FROM public.pressure_feedback AS r
JOIN public.appointments AS a ON a.practice_id = r.practice_id AND a.id = r.appointment_id
WHERE e.client_id IS NULL AND e.entity = 'pressure_feedback'
  AND r.practice_id = e.practice_id AND r.id = e.entity_id;

UPDATE public.audit_events AS e SET client_id = a.client_id
FROM public.session_notes AS r
JOIN public.appointments AS a ON a.practice_id = r.practice_id AND a.id = r.appointment_id
WHERE e.client_id IS NULL AND e.entity IN ('session_note', 'session_notes')
  AND r.practice_id = e.practice_id AND r.id = e.entity_id;

UPDATE public.audit_events AS e SET client_id = a.client_id
FROM public.appointment_moves AS r
JOIN public.appointments AS a ON a.practice_id = r.practice_id AND a.id = r.appointment_id
WHERE e.client_id IS NULL AND e.entity = 'appointment_moves'
  AND r.practice_id = e.practice_id AND r.id = e.entity_id;

-- An addendum: its note's visit's client.
UPDATE public.audit_events AS e SET client_id = a.client_id
FROM public.note_addenda AS r
JOIN public.session_notes AS n ON n.practice_id = r.practice_id AND n.id = r.note_id
JOIN public.appointments AS a ON a.practice_id = n.practice_id AND a.id = n.appointment_id
WHERE e.client_id IS NULL AND e.entity IN ('note_addendum', 'note_addenda')
  AND r.practice_id = e.practice_id AND r.id = e.entity_id;

ALTER TABLE public.audit_events ENABLE TRIGGER audit_events_append_only;

-- ---------------------------------------------------------------------------------------------
-- Row-level security forced again on exactly the tables it was forced on, and the actor as it was.

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY pg_catalog.current_setting('practice.migration_0010_forced')::text[] LOOP
        EXECUTE pg_catalog.format('ALTER TABLE public.%I FORCE ROW LEVEL SECURITY', t);
    END LOOP;
    PERFORM pg_catalog.set_config('practice.actor', pg_catalog.current_setting('practice.migration_0010_actor'), true);
END
$$;
