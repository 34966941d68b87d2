-- pgbench script: the baseline for booking, a plain INSERT of one appointment as the app role,
-- with the practice and actor set for the transaction as the service sets them (row-level
-- security checks the row's practice, the audit trigger needs the actor). Everything on the
-- table fires: both exclusion constraints (GiST), the foreign keys, the CHECKs, the audit trigger.
--
-- Slots are laid out as bench/book.lua lays out the API's: k = 0, 1, 2, … (client i of pgbench
-- takes i, i + nclients, …, counted in the persistent variable n, which starts at -D n=0), client
-- c = k mod nc in week r = k div nc after the Monday `monday`, therapist c mod nt, at 07:00–18:00
-- local time Monday to Saturday by j = c div nt. No two INSERTs clash, so no pgbench client
-- aborts (PostgreSQL 15's pgbench ends a client at its first error).
--
-- Variables (pgbench -D): pid, actor ('staff:ID'), staff, tz (the practice's zone), monday
-- (YYYY-MM-DD), c0 and nc (the first client id, how many), t0 and nt (the first therapist id,
-- how many), nclients (pgbench -c), n=0.

\set k :client_id + :nclients * :n
\set n :n + 1
\set c :k % :nc
\set r :k / :nc
\set t :c % :nt
\set j :c / :nt
\set cid :c0 + :c
\set tid :t0 + :t
\set day 7 * :r + :j / 12
\set hour 7 + :j % 12
BEGIN;
SELECT set_config('practice.practice_id', :pid, true),
       set_config('practice.actor', :actor, true),
       set_config('practice.staff_id', :staff, true);
INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, created_at)
VALUES (:pid, :cid, :tid,
        ((:monday::date + :day::int)::timestamp + make_interval(hours => :hour::int)) AT TIME ZONE :tz,
        ((:monday::date + :day::int)::timestamp + make_interval(hours => :hour::int + 1)) AT TIME ZONE :tz,
        now());
COMMIT;
