-- 0008: reminder bookkeeping on lifecycle tasks. `last_reminder_on` is the day (UTC) of the last
-- daily digest that named the task, so the digest mails each open task at most once per day even
-- when it runs twice (or on two workers at once: it claims tasks with a conditional update).
-- Nullable, no default: existing rows simply have never been reminded. A plain ADD COLUMN without a
-- default rewrites nothing, so it runs in one short transaction.
--
-- Written to be a no-op on a database that already has it (installed from a schema file that
-- consolidates this migration).

-- @step transaction
ALTER TABLE lifecycle_tasks ADD COLUMN IF NOT EXISTS last_reminder_on date;
