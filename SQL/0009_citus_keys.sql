-- Keys Citus can enforce (issue 12, part 8; deploy/citus/distribute.sql).
--
-- Citus keeps all of one practice's rows of a distributed table in one shard, so it can enforce
-- a PRIMARY KEY, UNIQUE or EXCLUDE constraint, or a unique index, only if it includes
-- practice_id (with = in an exclusion constraint); create_distributed_table refuses a table with
-- any other. The catalog shows one such key among the practice tables: staff_tokens'
-- UNIQUE (token_sha256), from 0008. CitusRulesTests checks every table against these rules.
--
-- A token's digest is now unique within its practice. The digest comes first in the new key, so
-- its index also serves the lookup by digest alone that authenticates a request before its
-- practice is known. Nothing real is given up: a token is 32 bytes from the system's random
-- generator, so two tokens with the same SHA-256, in one practice or in two, would be expected
-- only after about 2^128 tokens.
ALTER TABLE staff_tokens DROP CONSTRAINT staff_tokens_token_sha256_key;
ALTER TABLE staff_tokens
    ADD CONSTRAINT staff_tokens_token_sha256_practice_id_key UNIQUE (token_sha256, practice_id);
