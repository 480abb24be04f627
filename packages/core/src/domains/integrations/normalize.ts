/**
 * Text normalisers for values read from a cloud directory (Google Workspace, Microsoft 365), one
 * meaning each, shared by both clouds' syncs and stages. Provider values are untrusted `unknown`s:
 * every normaliser accepts anything and never throws.
 *
 * Which one to use is decided by the column the value goes to:
 * - a nullable text column: {@link textOrNull} (absent and `''` are NULL);
 * - a NOT NULL email column, or a key compared with `lower(email)`: {@link emailKey} (`''` when absent);
 * - a nullable email / UPN column: {@link emailOrNull};
 * - free text stored as the cloud sent it (descriptions): {@link stringOrNull};
 * - a timestamptz column from an ISO text: {@link isoTimeOrNull};
 * - a nullable boolean column: {@link booleanOrNull}.
 */

/** The longest text most mirror columns take (`varchar(255)`). */
export const TEXT_MAX = 255;

/**
 * The first `max` UTF-16 units of `value`, never cutting a surrogate pair in half (a lone surrogate
 * could be neither sent as JSON nor stored).
 */
export function clip(value: string, max: number = TEXT_MAX): string {
  if (value.length <= max) return value;
  const code = value.charCodeAt(max - 1);
  return value.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** A non-empty string clipped to `max`; anything else (absent, `''`, not a string) is null. Not trimmed. */
export function textOrNull(value: unknown, max: number = TEXT_MAX): string | null {
  return typeof value === 'string' && value !== '' ? clip(value, max) : null;
}

/** A string as it is (`''` kept, never clipped: descriptions); anything else is null. */
export function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * An email address as a comparison key: trimmed, lower-cased, clipped to `max`; `''` when absent or
 * not a string (for NOT NULL columns and keys; `''` matches no address).
 */
export function emailKey(value: unknown, max: number = TEXT_MAX): string {
  return typeof value === 'string' ? clip(value.trim().toLowerCase(), max) : '';
}

/** {@link emailKey}, but null when there is no address (absent, not a string, or blank). */
export function emailOrNull(value: unknown, max: number = TEXT_MAX): string | null {
  const key = emailKey(value, max);
  return key === '' ? null : key;
}

/** The domain of an email key (`''` when it has none). */
export function domainOf(email: string): string {
  return email.split('@')[1] ?? '';
}

/** An ISO date-time text a timestamptz column takes, as it is; null when absent or not a date. */
export function isoTimeOrNull(value: unknown): string | null {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : null;
}

/** A boolean, or null when the value is not one. */
export function booleanOrNull(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}
