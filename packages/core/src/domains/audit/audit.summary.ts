/**
 * Before/after summaries for audit rows: only what changed, with secrets replaced by `[redacted]`
 * and long values cut, so the audit trail never holds a password, token or key.
 */

const SECRET_KEY =
  /(password|secret|token|hash|private|credential|api_?key|encrypted|otp|totp|backup_?codes?)/i;
const MAX_STRING = 200;

/** Replaces secret-looking keys' values and trims long strings, recursively. */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string')
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (typeof value !== 'object') return value;
  if (depth > 4) return '[nested]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    out[key] = SECRET_KEY.test(key) ? (v === null ? null : '[redacted]') : redact(v, depth + 1);
  }
  return out;
}

const IGNORED = new Set(['updated_at', 'updatedAt', 'created_at', 'createdAt']);

/**
 * The fields that differ between `before` and `after`, as `{ field: { from, to } }`, redacted.
 * With no `before` (a creation) it is the non-null fields of `after`; with no `after` (a deletion)
 * those of `before`.
 */
export function summarizeChange(
  before: object | null | undefined,
  after: object | null | undefined,
): Record<string, unknown> {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(b), ...Object.keys(a)]);
  for (const key of keys) {
    if (IGNORED.has(key)) continue;
    const from = b[key] ?? null;
    const to = a[key] ?? null;
    if (!before && to === null) continue;
    if (!after && from === null) continue;
    if (JSON.stringify(redact(from)) === JSON.stringify(redact(to))) continue;
    if (SECRET_KEY.test(key)) out[key] = { changed: true };
    else
      out[key] =
        before && after ? { from: redact(from), to: redact(to) } : redact(before ? from : to);
  }
  return out;
}
