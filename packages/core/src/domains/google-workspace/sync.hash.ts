/**
 * Content hashes of the Google sync's change detection, computed the same way in JS (over what was
 * fetched) and in SQL (over what is stored), so that a re-sync compares them BEFORE staging and stages
 * only new or changed rows.
 *
 * - A row's hash is the first 52 bits of `md5(raw_data::text)`: the MD5 of PostgreSQL's text form of the
 *   stored jsonb. `jsonbText` writes a fetched value in that very form (keys ordered by byte length,
 *   then bytes; `", "` and `": "` separators; PostgreSQL's string escapes), so equal hashes mean equal
 *   jsonb. A value it cannot write exactly (a number JS prints with an exponent, a non-plain object)
 *   gets no hash: the row is staged and compared in SQL as before. A mismatch only ever costs staging
 *   a row whose upsert then writes nothing (`where ... is distinct from`); it never skips a change.
 * - A group's membership hash is the sum (mod 2^52) of `hash52(googleId + ':' + memberType)` over its
 *   members that resolve to an organization user: in JS over the members fetched, in SQL over the
 *   active synced `access_group_members` rows. A sum is independent of the order and can be built
 *   page by page.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';

/** 2^52: the hashes are integers below it (exact in a JS number). */
export const HASH_MODULUS = 2 ** 52;

/** The first 52 bits of the MD5 of `text` (UTF-8) as a number. */
export function hash52(text: string): number {
  const digest = createHash('md5').update(text, 'utf8').digest();
  // 48 bits, then the high nibble of the 7th byte: the same bits as the first 13 hex digits.
  return digest.readUIntBE(0, 6) * 16 + ((digest[6] as number) >> 4);
}

/** SQL: the first 13 hex digits (52 bits) of the MD5 of a text expression, as text. */
export const sqlHash52Hex = (text: ReturnType<typeof sql>) => sql`substr(md5(${text}), 1, 13)`;

/** SQL: the first 52 bits of the MD5 of a text expression, as a bigint. */
export const sqlHash52 = (text: ReturnType<typeof sql>) =>
  sql`('x' || substr(md5(${text}), 1, 13))::bit(52)::bigint`;

/** Thrown inside `jsonbText` for a value it cannot write exactly as PostgreSQL would. */
class NotCanonical extends Error {}

// biome-ignore lint/suspicious/noControlCharactersInRegex: every ASCII character, control characters included
const ASCII = /^[\u0000-\u007f]*$/;

/** Object keys in PostgreSQL's jsonb order: shorter (in UTF-8 bytes) first, then bytewise. */
function sortedKeys(keys: string[]): string[] {
  // ASCII keys (the usual case): UTF-16 order is byte order.
  if (keys.every((k) => ASCII.test(k)))
    return keys.sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  return keys
    .map((key) => ({ key, bytes: Buffer.from(key, 'utf8') }))
    .sort((a, b) => a.bytes.length - b.bytes.length || Buffer.compare(a.bytes, b.bytes))
    .map((k) => k.key);
}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** A string as PostgreSQL's jsonb output writes it. */
function jsonbString(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is escaped
  return `"${value.replace(/["\\\u0000-\u001f]/g, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

function write(value: unknown, inArray: boolean): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return jsonbString(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number': {
      if (!Number.isFinite(value)) return 'null';
      const text = String(value);
      // JS writes 1e21 and 1e-7 with an exponent; PostgreSQL's numeric output never does.
      if (text.includes('e')) throw new NotCanonical();
      return text;
    }
    case 'undefined':
    case 'function':
    case 'symbol':
      // JSON.stringify leaves such properties out, and writes null in arrays.
      return inArray ? 'null' : undefined;
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item) => write(item, true)).join(', ')}]`;
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new NotCanonical();
      const parts: string[] = [];
      for (const key of sortedKeys(Object.keys(value))) {
        const item = write((value as Record<string, unknown>)[key], false);
        if (item !== undefined) parts.push(`${jsonbString(key)}: ${item}`);
      }
      return `{${parts.join(', ')}}`;
    }
    default:
      throw new NotCanonical();
  }
}

/**
 * `value` (JSON data) written as PostgreSQL writes `to_jsonb`/`::jsonb` of `JSON.stringify(value)`
 * back as text, or null when that cannot be done exactly here.
 */
export function jsonbText(value: unknown): string | null {
  try {
    return write(value, false) ?? null;
  } catch (error) {
    if (error instanceof NotCanonical) return null;
    throw error;
  }
}

/** The hash of a fetched object as stored in a jsonb column (`md5(raw_data::text)`), or null (never equal). */
export function rowHash(value: unknown): number | null {
  const text = jsonbText(value);
  return text === null ? null : hash52(text);
}

/** The `member_type` of a Google member role (as the apply writes it). */
export const memberTypeOf = (role: string) =>
  role === 'OWNER' ? 'owner' : role === 'MANAGER' ? 'manager' : 'member';

/** Rank of a member type: the strongest role wins when a member is listed twice. */
export const memberTypeRank = (type: string) => (type === 'owner' ? 0 : type === 'manager' ? 1 : 2);

/** The membership hash of one (Google user id, member type) pair. */
export const membershipHash = (googleId: string, memberType: string) =>
  hash52(`${googleId}:${memberType}`);
