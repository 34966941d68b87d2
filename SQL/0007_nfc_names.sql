-- Names are stored in Unicode NFC (the Swift code normalises them), so a decomposed twin of a
-- name is the same client. NOT VALID: new and changed rows are checked; rows written before
-- this version are left as they are (normalising them could merge two clients silently).
ALTER TABLE clients ADD CONSTRAINT clients_name_nfc CHECK (name IS NFC NORMALIZED) NOT VALID;
ALTER TABLE staff ADD CONSTRAINT staff_name_nfc CHECK (name IS NFC NORMALIZED) NOT VALID;
ALTER TABLE providers ADD CONSTRAINT providers_name_nfc CHECK (name IS NFC NORMALIZED) NOT VALID;
ALTER TABLE practices ADD CONSTRAINT practices_name_nfc CHECK (name IS NFC NORMALIZED) NOT VALID;
