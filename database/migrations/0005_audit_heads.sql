-- 0005: the head of each organization's audit chain (latest sequence and hash), kept outside
-- audit_logs so that removing the newest audit rows is detected. Written in the same transaction as
-- each audit row. A new, empty table: the chain code starts it from the newest chained row.

-- @step transaction
CREATE TABLE IF NOT EXISTS helios_meta.audit_heads (
  organization_id uuid PRIMARY KEY REFERENCES public.organizations (id) ON DELETE CASCADE,
  head_sequence bigint NOT NULL,
  head_hash text NOT NULL,
  updated_at timestamp with time zone NOT NULL DEFAULT now()
);
