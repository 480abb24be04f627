/**
 * Opaque keyset cursors: base64url of a small JSON array holding the sort column, direction,
 * the last row's sort value (as PostgreSQL prints it) and its primary key. Every field is checked
 * on decode, so a tampered cursor is INVALID_INPUT `REPOSITORY.INVALID_CURSOR` and never reaches SQL
 * in a shape PostgreSQL would reject.
 */
import { HeliosError } from '../errors';
import type { SortValueKind } from './generate-metadata';

/** The decoded position after which the next page starts. */
export interface CursorPosition {
  orderBy: string;
  direction: 'asc' | 'desc';
  /** The sort column's value in its text form, or null. */
  value: string | null;
  /** The primary key value in its text form. */
  key: string;
}

const VERSION = 1;
const MAX_CURSOR_LENGTH = 12_000;

const PATTERNS: Record<SortValueKind, RegExp | null> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  text: null,
  timestamp: /^(-?infinity|\d{4,6}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:\d{2}){0,2}|Z)?( BC)?)$/,
  date: /^(-?infinity|\d{4,6}-\d{2}-\d{2}( BC)?)$/,
  integer: /^-?\d{1,19}$/,
  numeric: /^(-?\d{1,131072}(\.\d{1,16383})?|NaN|-?Infinity)$/,
  boolean: /^(true|false)$/,
};

function invalid(reason: string): HeliosError {
  return new HeliosError('INVALID_INPUT', 'REPOSITORY.INVALID_CURSOR', 'The cursor is not valid for this list.', { details: { reason } });
}

/** True when `value` is a plausible text form of a value of this kind. */
export function isValidSortValue(kind: SortValueKind, value: string): boolean {
  if (value.length > 8000 || value.includes('\u0000')) return false;
  const pattern = PATTERNS[kind];
  if (!pattern) return true;
  if (!pattern.test(value)) return false;
  if (kind === 'timestamp' || kind === 'date') return validCalendarDate(value);
  return true;
}

/** Rejects dates PostgreSQL would refuse (month 13, February 30, hour 25...). */
function validCalendarDate(value: string): boolean {
  if (value === 'infinity' || value === '-infinity') return true;
  const match = /^(\d{4,6})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?/.exec(value);
  if (!match) return false;
  const [y, m, d, hh = 0, mm = 0, ss = 0] = match
    .slice(1)
    .filter((part) => part !== undefined)
    .map(Number) as number[];
  if (!y || !m || !d || m > 12) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days && hh < 24 && mm < 60 && ss < 60;
}

/** Encodes a position as an opaque base64url string. */
export function encodeCursor(position: CursorPosition): string {
  const payload = [VERSION, position.orderBy, position.direction === 'desc' ? 'd' : 'a', position.value, position.key];
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/**
 * Decodes and checks a cursor for a list ordered by `orderBy`/`direction` whose sort column is
 * of `sortKind` and primary key of `keyKind`.
 */
export function decodeCursor(
  cursor: unknown,
  expected: { orderBy: string; direction: 'asc' | 'desc'; sortKind: SortValueKind; keyKind: SortValueKind },
): CursorPosition {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw invalid('malformed');
  }
  let payload: unknown;
  try {
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    if (Buffer.from(text, 'utf8').toString('base64url') !== cursor) throw new Error('not canonical');
    payload = JSON.parse(text);
  } catch {
    throw invalid('malformed');
  }
  if (!Array.isArray(payload) || payload.length !== 5 || payload[0] !== VERSION) throw invalid('malformed');
  const [, orderBy, dir, value, key] = payload as unknown[];
  if (orderBy !== expected.orderBy || dir !== (expected.direction === 'desc' ? 'd' : 'a')) throw invalid('sort_mismatch');
  if (value !== null && (typeof value !== 'string' || !isValidSortValue(expected.sortKind, value))) throw invalid('bad_value');
  if (typeof key !== 'string' || !isValidSortValue(expected.keyKind, key)) throw invalid('bad_key');
  return { orderBy, direction: expected.direction, value, key };
}
