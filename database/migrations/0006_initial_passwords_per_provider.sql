-- 0006: initial passwords keyed per cloud. user_initial_passwords gets `provider` (the cloud that
-- stored the password: 'google_workspace' or 'microsoft_365', the words the code uses) and its unique
-- key becomes (organization_id, user_email, provider), so creating the same address in the second
-- cloud no longer replaces the first cloud's unrevealed password.
--
-- Existing rows: the cloud that stored a row is known only inside its ciphertext (sealed with the
-- application's encryption key, which the database does not have), so the migration leaves
-- `provider` null on them ("stored before 0006"). The code resolves such a row from its sealed value
-- the first time it touches the address: a reveal by the cloud that sealed it (or by either cloud for
-- a bare password sealed before the provider was recorded) opens it and records that cloud; a new
-- password for the address from that cloud replaces it, as before. New rows always carry a provider.
-- A small table: the key and the check are built in one short transaction.
--
-- Written to be a no-op on a database that already has them (installed from a schema file that
-- consolidates this migration): every statement is IF [NOT] EXISTS or drop-then-add.

-- @step transaction
ALTER TABLE user_initial_passwords ADD COLUMN IF NOT EXISTS provider character varying(20);
ALTER TABLE user_initial_passwords DROP CONSTRAINT IF EXISTS user_initial_passwords_provider_check;
ALTER TABLE user_initial_passwords ADD CONSTRAINT user_initial_passwords_provider_check CHECK (((provider)::text = ANY (ARRAY[('google_workspace'::character varying)::text, ('microsoft_365'::character varying)::text])));
ALTER TABLE user_initial_passwords DROP CONSTRAINT IF EXISTS user_initial_passwords_organization_id_user_email_key;
ALTER TABLE user_initial_passwords DROP CONSTRAINT IF EXISTS user_initial_passwords_organization_id_user_email_provider_key;
ALTER TABLE user_initial_passwords ADD CONSTRAINT user_initial_passwords_organization_id_user_email_provider_key UNIQUE (organization_id, user_email, provider);
