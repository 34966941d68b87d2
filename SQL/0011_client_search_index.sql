-- `client list --search` and GET /clients?search= match a part of the name, phone or email in any
-- case (ILIKE '%text%'), which no b-tree serves: without this, every search reads every client of
-- the practice. Trigram indexes (pg_trgm, from postgresql-contrib; a trusted extension, so the
-- schema's owner may create it) answer such patterns from the index, one per column, combined
-- by the planner with a BitmapOr.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX clients_name_trgm ON clients USING gin (name gin_trgm_ops);
CREATE INDEX clients_phone_trgm ON clients USING gin (phone gin_trgm_ops);
CREATE INDEX clients_email_trgm ON clients USING gin (email gin_trgm_ops);
