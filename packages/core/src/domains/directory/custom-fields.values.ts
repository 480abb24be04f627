/**
 * Checking one custom field value against its definition (internal to the directory domain).
 * Pure functions: no database access.
 */
import { z } from 'zod';
import type { JsonValue } from '../../db/database.generated';

/** What the checks need of a definition. */
export interface ValueRules {
  fieldType: string;
  options: readonly { value: string; label: string }[] | null;
  validationRules: { minLength?: number; maxLength?: number; min?: number; max?: number } | null;
}

/** The result of checking a value: the normalized value to store (null: clear it), or an issue. */
export type ValueCheck =
  | { ok: true; value: JsonValue | null }
  | { ok: false; code: string; message: string };

const DEFAULT_MAX_LENGTH = 10_000;
const emailCheck = z.email();
const PHONE = /^\+?[0-9 ().-]{3,32}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function fail(code: string, message: string): ValueCheck {
  return { ok: false, code, message };
}

function isEmpty(value: unknown): boolean {
  return (
    value === null ||
    value === undefined ||
    value === '' ||
    (Array.isArray(value) && value.length === 0)
  );
}

function checkLength(text: string, rules: ValueRules): ValueCheck | null {
  const max = rules.validationRules?.maxLength ?? DEFAULT_MAX_LENGTH;
  const min = rules.validationRules?.minLength ?? 0;
  if (text.length > max) return fail('too_long', `At most ${max} characters`);
  if (text.length < min) return fail('too_short', `At least ${min} characters`);
  return null;
}

function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [y, m, d] = match.slice(1).map(Number) as [number, number, number];
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

/**
 * Checks `value` against a definition and normalizes it (trimmed text, lower-cased email,
 * de-duplicated multiselect). Empty values (`null`, `''`, `[]`) mean "clear".
 */
export function checkCustomFieldValue(rules: ValueRules, value: unknown): ValueCheck {
  if (isEmpty(value)) return { ok: true, value: null };
  const type = rules.fieldType;
  switch (type) {
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return fail('invalid_type', 'A number');
      const { min, max } = rules.validationRules ?? {};
      if (min !== undefined && value < min) return fail('too_small', `At least ${min}`);
      if (max !== undefined && value > max) return fail('too_big', `At most ${max}`);
      return { ok: true, value };
    }
    case 'boolean':
      return typeof value === 'boolean'
        ? { ok: true, value }
        : fail('invalid_type', 'true or false');
    case 'multiselect': {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
        return fail('invalid_type', 'A list of option values');
      const allowed = new Set((rules.options ?? []).map((o) => o.value));
      const unknown = value.filter((v) => !allowed.has(v));
      if (unknown.length > 0)
        return fail('invalid_option', `Not an option: ${unknown.slice(0, 5).join(', ')}`);
      return { ok: true, value: [...new Set(value as string[])] };
    }
    default:
      break;
  }
  if (typeof value !== 'string') return fail('invalid_type', 'A string');
  const text = value.trim();
  if (text === '') return { ok: true, value: null };
  switch (type) {
    case 'select': {
      const allowed = (rules.options ?? []).some((o) => o.value === text);
      return allowed ? { ok: true, value: text } : fail('invalid_option', 'Not one of the options');
    }
    case 'date':
      return isCalendarDate(text)
        ? { ok: true, value: text }
        : fail('invalid_date', 'A date as YYYY-MM-DD');
    case 'email': {
      const normalized = text.toLowerCase();
      if (!emailCheck.safeParse(normalized).success)
        return fail('invalid_email', 'An email address');
      return checkLength(normalized, rules) ?? { ok: true, value: normalized };
    }
    case 'url':
      if (!isHttpUrl(text)) return fail('invalid_url', 'An http(s) URL');
      return (
        checkLength(text, {
          ...rules,
          validationRules: { maxLength: 2048, ...rules.validationRules },
        }) ?? { ok: true, value: text }
      );
    case 'phone':
      if (!PHONE.test(text) || (text.match(/\d/g) ?? []).length < 3)
        return fail('invalid_phone', 'A phone number (digits, spaces, + ( ) . -)');
      return checkLength(text, rules) ?? { ok: true, value: text };
    default:
      // text, and kinds of older installations (image, badge...): any string.
      return checkLength(text, rules) ?? { ok: true, value: text };
  }
}

/** Reads stored options (strings or `{ value, label }` objects) into one shape. */
export function normalizeOptions(stored: unknown): { value: string; label: string }[] | null {
  if (!Array.isArray(stored)) return null;
  const out: { value: string; label: string }[] = [];
  for (const item of stored) {
    if (typeof item === 'string') out.push({ value: item, label: item });
    else if (
      item &&
      typeof item === 'object' &&
      typeof (item as { value?: unknown }).value === 'string'
    ) {
      const { value, label } = item as { value: string; label?: unknown };
      out.push({ value, label: typeof label === 'string' ? label : value });
    }
  }
  return out;
}

/** Reads stored validation rules, keeping only the known numeric ones. */
export function normalizeRules(stored: unknown): ValueRules['validationRules'] {
  if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return null;
  const out: NonNullable<ValueRules['validationRules']> = {};
  for (const key of ['minLength', 'maxLength', 'min', 'max'] as const) {
    const v = (stored as Record<string, unknown>)[key];
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
  }
  return Object.keys(out).length > 0 ? out : null;
}
