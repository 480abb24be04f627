-- 0003: API keys get an IP allowlist, revocation (when, by whom) and an environment, and a unique
-- index on the key hash; organization_users gets the encrypted two-factor backup codes. All columns
-- are nullable without a default: adding them changes only the catalog.
--
-- The unique index fails (and this migration stays pending) when two API keys share a hash:
-- revoke or delete the duplicate first.

-- @step transaction
ALTER TABLE organization_users ADD COLUMN IF NOT EXISTS two_factor_backup_codes text;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS ip_allowlist text[];
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS revoked_at timestamp with time zone;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS revoked_by uuid;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS environment character varying(10);

-- @step concurrently
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_api_keys_key_hash ON api_keys USING btree (key_hash);
