import { z } from 'zod';
import type { HeliosError } from '../errors';
import { CORE_ERRORS } from '../errors/core.errors';

/** One field problem of an INVALID_INPUT error (`details.issues`). */
export interface FieldIssue {
  /** Dotted path of the field (`address.city`, `emails.0`), empty for the whole input. */
  path: string;
  message: string;
  code: string;
}

/**
 * Limits every input of the SDK obeys, whatever its schema: text holds no NUL character and no
 * unpaired UTF-16 surrogate (PostgreSQL cannot store either), and an input nests at most
 * `inputDepth` levels. Free-form JSON fields (`jsonValue`, `jsonObject`) nest at most
 * `jsonDepth` levels and take at most `jsonBytes` bytes of JSON.
 */
export const INPUT_LIMITS = Object.freeze({ inputDepth: 64, jsonDepth: 32, jsonBytes: 64 * 1024 });

/** At most this many text problems are listed in one error. */
const MAX_TEXT_ISSUES = 20;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `value` cannot be stored as text (a NUL or an unpaired surrogate), or null when it can. */
export function textProblem(value: string): string | null {
  if (value.includes('\u0000')) return 'Must not contain a NUL character (U+0000)';
  if (LONE_SURROGATE.test(value)) return 'Must not contain an unpaired UTF-16 surrogate';
  return null;
}

/** `value` without NUL characters and with unpaired surrogates replaced by U+FFFD (for untrusted data that must be stored). */
export function sanitizeText(value: string): string {
  if (textProblem(value) === null) return value;
  return value.replaceAll('\u0000', '').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
}

/** Arrays and plain objects: what JSON and zod inputs are made of (Dates, Buffers and the like are left alone). */
function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A dotted path whose keys are safe to show and store. */
const pathOf = (path: string[]) => path.map(sanitizeText).join('.');

/**
 * The problems every input is checked for before its schema runs (so no schema can forget them):
 * NUL characters and unpaired surrogates in any string (values and keys), and nesting deeper than
 * {@link INPUT_LIMITS}.inputDepth. Walks without recursion, so any depth is safe.
 */
export function inspectInput(input: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const stack: Array<{ value: unknown; path: string[] }> = [{ value: input, path: [] }];
  while (stack.length > 0 && issues.length < MAX_TEXT_ISSUES) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) issues.push({ path: pathOf(path), message: problem, code: 'invalid_text' });
      continue;
    }
    if (!isContainer(value)) continue;
    if (path.length >= INPUT_LIMITS.inputDepth) {
      issues.push({
        path: pathOf(path),
        message: `Nests deeper than ${INPUT_LIMITS.inputDepth} levels`,
        code: 'too_deep',
      });
      continue;
    }
    const entries: Array<[string, unknown]> = Array.isArray(value)
      ? value.map((v, i) => [String(i), v])
      : Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      const childPath = [...path, key];
      if (!Array.isArray(value)) {
        const problem = textProblem(key);
        if (problem)
          issues.push({
            path: pathOf(childPath),
            message: `Key: ${problem}`,
            code: 'invalid_text',
          });
      }
      stack.push({ value: child, path: childPath });
    }
  }
  return issues.slice(0, MAX_TEXT_ISSUES);
}

/** The nesting depth of a JSON value, counting at most to `limit + 1` (without recursion). */
function depthOf(value: unknown, limit: number): number {
  let max = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (!isContainer(item.value)) continue;
    const depth = item.depth + 1;
    if (depth > max) max = depth;
    if (max > limit) return max;
    for (const child of Array.isArray(item.value) ? item.value : Object.values(item.value))
      stack.push({ value: child, depth });
  }
  return max;
}

/** The free-form JSON limits: depth, then size. */
function checkJson(value: unknown, ctx: z.RefinementCtx): void {
  if (depthOf(value, INPUT_LIMITS.jsonDepth) > INPUT_LIMITS.jsonDepth) {
    ctx.addIssue({
      code: 'custom',
      message: `JSON nests deeper than ${INPUT_LIMITS.jsonDepth} levels`,
    });
    return;
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'Not a JSON value' });
    return;
  }
  if (text !== undefined && Buffer.byteLength(text, 'utf8') > INPUT_LIMITS.jsonBytes) {
    ctx.addIssue({ code: 'custom', message: `JSON larger than ${INPUT_LIMITS.jsonBytes} bytes` });
  }
}

/**
 * A free-form JSON value (any JSON), at most {@link INPUT_LIMITS}.jsonDepth levels deep and
 * `jsonBytes` bytes. Use it (or {@link jsonObject}) for every field stored as jsonb as given.
 */
export function jsonValue() {
  return z.unknown().superRefine(checkJson);
}

/** A free-form JSON object with keys of `key` (default: up to 100 characters), limited as {@link jsonValue}. */
export function jsonObject<K extends z.core.$ZodRecordKey = z.ZodString>(key?: K) {
  return z.record((key ?? z.string().max(100)) as K, z.unknown()).superRefine(checkJson);
}

/**
 * Parses `input` with `schema`, or throws INVALID_INPUT (by default `VALIDATION.FAILED`; `invalid` is
 * another registered INVALID_INPUT error taking `{ issues }`) listing every field problem in
 * `details.issues`. Before the schema, every input is checked for the problems no schema may let
 * through ({@link inspectInput}): text with NUL characters or unpaired surrogates, and nesting
 * deeper than {@link INPUT_LIMITS}.inputDepth.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  invalid: InvalidInputError = CORE_ERRORS.VALIDATION_FAILED,
): z.output<S> {
  const early = inspectInput(input);
  if (early.length > 0) throw invalidOf(invalid, early);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidOf(
    invalid,
    result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
      code: issue.code,
    })),
  );
}

/**
 * The error `parseInput` raises: a registered factory taking `{ issues }` (see `issuesSpec`), or
 * (deprecated, for code not yet converted) a code string of kind INVALID_INPUT.
 */
export type InvalidInputError = ((params: { issues: FieldIssue[] }) => HeliosError) | string;

function invalidOf(invalid: InvalidInputError, issues: FieldIssue[]): HeliosError {
  if (typeof invalid === 'function') return invalid({ issues });
  const error = CORE_ERRORS.VALIDATION_FAILED({ issues });
  // Deprecated path: the same error under the given code (kind INVALID_INPUT).
  Object.defineProperty(error, 'code', { value: invalid });
  return error;
}

/** A normalized email address, shared by every domain (trimmed, lower-cased). */
export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(255)
  .pipe(z.email({ message: 'Enter a valid email address' }));
