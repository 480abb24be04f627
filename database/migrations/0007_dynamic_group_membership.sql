-- 0007: where an access group membership comes from. access_group_members gets `membership_source`
-- ('platform': mirrored from Google Workspace / Microsoft 365; 'manual': added by a person; 'dynamic':
-- added by the group's rule, see helios.dynamicGroups) and `rule_matched_at` (when the rule last
-- added or confirmed the member). Existing rows are backfilled from synced_from_platform (true:
-- platform, false or null: manual). Both columns stay nullable: a row written by older code, or by
-- adopt on a database with rows, has no source until it is written again, and is never treated as
-- dynamic. New rows default to 'manual'; every Helios writer sets the source explicitly.
--
-- access_group_members is a big table: the columns are added without a default (catalog only), the
-- CHECK is added NOT VALID and validated in its own step, and the backfill runs in batches.
-- Written to be a no-op on a database that already has them (IF NOT EXISTS, drop-then-add).

-- @step transaction
ALTER TABLE access_group_members ADD COLUMN IF NOT EXISTS membership_source character varying(20);
ALTER TABLE access_group_members ADD COLUMN IF NOT EXISTS rule_matched_at timestamp with time zone;
ALTER TABLE access_group_members ALTER COLUMN membership_source SET DEFAULT 'manual'::character varying;
ALTER TABLE access_group_members DROP CONSTRAINT IF EXISTS access_group_members_membership_source_check;
ALTER TABLE access_group_members ADD CONSTRAINT access_group_members_membership_source_check CHECK (((membership_source)::text = ANY (ARRAY[('platform'::character varying)::text, ('manual'::character varying)::text, ('dynamic'::character varying)::text]))) NOT VALID;

-- @step batch
UPDATE access_group_members SET membership_source = CASE WHEN synced_from_platform THEN 'platform' ELSE 'manual' END WHERE id IN (SELECT id FROM access_group_members WHERE ($1::uuid IS NULL OR id > $1::uuid) AND membership_source IS NULL ORDER BY id LIMIT $2) RETURNING id AS key

-- @step transaction
ALTER TABLE access_group_members VALIDATE CONSTRAINT access_group_members_membership_source_check;
