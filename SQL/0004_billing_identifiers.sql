-- Identifiers a superbill carries: the practice's and the therapist's.
ALTER TABLE practices
    ADD COLUMN npi text CHECK (npi ~ '^[12][0-9]{9}$'),
    ADD COLUMN tax_id text CHECK (tax_id ~ '^[0-9]{2}-[0-9]{7}$'),
    ADD COLUMN address text,
    ADD COLUMN phone text;

ALTER TABLE staff
    ADD COLUMN npi text CHECK (npi ~ '^[12][0-9]{9}$'),
    ADD COLUMN license text;
