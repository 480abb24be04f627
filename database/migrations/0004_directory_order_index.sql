-- 0004: the index behind the directory's default order (keyset pages of users sorted by last name,
-- per organization, without sorting the table).

-- organization_users is a big table: built without blocking writes.
-- @step concurrently
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_organization_users_directory_order ON organization_users USING btree (organization_id, last_name, id);
