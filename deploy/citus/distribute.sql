-- Distributes the MassagePractice schema over a Citus cluster (issue 12, part 8).
--
-- Every practice-owned table is hash-distributed on practice_id, all in one co-location group:
-- one practice's rows of every table sit together in one shard group on one worker, so its
-- foreign keys, exclusion constraints and unique keys are checked there, and a query that names
-- its practice goes to that worker alone. The two tables every practice shares become reference
-- tables, copied to every node: practices (the tenant list, keyed by id) and schema_migrations
-- (the migrator's ledger).
--
-- Usage. Citus is not packaged for Debian, so nothing in this repository runs this script;
-- CitusRulesTests (Tests/PracticeCLITests) checks it and the schema against Citus' rules.
--   1. Every node (coordinator and workers): the same PostgreSQL major version with Citus,
--      shared_preload_libraries = 'citus', and postgresql-contrib (the schema uses btree_gist).
--      The nodes must reach each other as the same roles (pg_hba.conf, passwords or certificates).
--   2. On the coordinator, in the application's database, as a superuser:
--          CREATE EXTENSION citus;
--          SELECT citus_set_coordinator_host('coordinator.internal', 5432);
--          SELECT citus_add_node('worker-1.internal', 5432);   -- once per worker
--   3. Run the schema migrations on the coordinator, as the schema's owner:
--          DATABASE_URL=postgres://practice_owner@coordinator.internal/massagepractice practice migrate
--      For a service that already has data, restore its backup into that database instead
--      (`practice restore`, which wants an empty database: do it before step 2), then migrate.
--   4. Then this script, as a superuser, on the coordinator:
--          psql "postgres://postgres@coordinator.internal/massagepractice" -v ON_ERROR_STOP=1 \
--               -f deploy/citus/distribute.sql
--
-- It runs in one transaction: every table is distributed, or, on any error, none is. It is run
-- once; on a second run the first call fails ("already distributed") and nothing changes. A
-- table that a later migration adds gets its own line below (CitusRulesTests fails until it
-- has one), and on a cluster already distributed that one line is run by hand.
-- Tables that already hold rows (a restored backup) are copied into their shards; see the end of
-- this file for freeing the coordinator's copy afterwards.
--
-- Order matters: a table is distributed after every table its foreign keys point to, so the
-- reference tables come first, then the distributed tables in foreign-key order.

\set ON_ERROR_STOP on

BEGIN;

-- Reference tables and the distributed tables whose foreign keys point at them, made in one
-- transaction: Citus wants that done over one connection per worker, not in parallel.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
-- The schema keeps its guarantees with triggers (audit, append-only, signed notes); Citus
-- distributes a table with triggers only when told to, and creates them on every shard.
SET LOCAL citus.enable_unsafe_triggers TO on;
-- Later migrations that create or replace triggers need the same, so the database keeps it.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET citus.enable_unsafe_triggers TO on', current_database());
END
$$;

-- Shared by every practice: reference tables.
SELECT create_reference_table('practices');
SELECT create_reference_table('schema_migrations');

-- Practice-owned: distributed on practice_id, all co-located with staff, each after every table
-- its foreign keys point to.
SELECT create_distributed_table('staff', 'practice_id', colocate_with => 'none');
SELECT create_distributed_table('providers', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('clients', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('client_search_grams', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('screenings', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('appointment_series', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('appointments', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('appointment_moves', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('pain_reports', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('pressure_feedback', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('session_notes', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('note_addenda', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('referral_letters', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('clearances', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('client_discharges', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('working_hours', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('staff_tokens', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('idempotency_keys', 'practice_id', colocate_with => 'staff');
SELECT create_distributed_table('audit_events', 'practice_id', colocate_with => 'staff');

-- A table this file forgot would stay on the coordinator alone: refuse, and roll everything back.
DO $$
DECLARE
    missing text;
BEGIN
    SELECT string_agg(c.relname, ', ' ORDER BY c.relname) INTO missing
    FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND NOT EXISTS (SELECT 1 FROM pg_dist_partition AS d WHERE d.logicalrelid = c.oid);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'not distributed by deploy/citus/distribute.sql: %', missing
            USING HINT = 'add a create_distributed_table or create_reference_table line for each';
    END IF;
END
$$;

COMMIT;

-- A database that already held rows. Citus has copied them into the shards; the coordinator's own
-- copies are hidden but still on disk. Once the counts through the coordinator match the old
-- server's, free the space with the block below, as a superuser (the tables refuse TRUNCATE
-- through their triggers, so it runs with triggers off, in one transaction):
--
--   BEGIN;
--   SET LOCAL session_replication_role = replica;
--   SELECT truncate_local_data_after_distributing_table(p.logicalrelid)
--   FROM pg_dist_partition AS p JOIN pg_class AS c ON c.oid = p.logicalrelid
--   WHERE c.relnamespace = 'public'::regnamespace;
--   COMMIT;
