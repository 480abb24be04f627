-- 0002: the tamper-evident audit chain's columns on audit_logs (who acted, the chain sequence and
-- hashes), nullable so existing rows stay as they were and count as "unchained", and the unique
-- index on (organization_id, sequence) the chain appends under.
--
-- Written so that a database installed from any commit of version 1 upgrades cleanly: columns and
-- indexes that an installation already has are left alone (IF NOT EXISTS).

-- @step transaction
ALTER TABLE audit_logs ADD COLUMN IF NOT EXISTS actor_type character varying(20);
ALTER TABLE audit_logs ADD COLUMN IF NOT EXISTS actor_id character varying(255);
ALTER TABLE audit_logs ADD COLUMN IF NOT EXISTS sequence bigint;
ALTER TABLE audit_logs ADD COLUMN IF NOT EXISTS previous_hash character varying(64);
ALTER TABLE audit_logs ADD COLUMN IF NOT EXISTS hash character varying(64);

-- audit_logs is a big table: built without blocking writes.
-- @step concurrently
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_audit_logs_chain ON audit_logs USING btree (organization_id, sequence);
