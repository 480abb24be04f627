import type { z } from 'zod';
import { HeliosError } from '../errors';

/** One field problem of an INVALID_INPUT error (`details.issues`). */
export interface FieldIssue {
  /** Dotted path of the field (`address.city`, `emails.0`), empty for the whole input. */
  path: string;
  message: string;
  code: string;
}

/**
 * Parses `input` with `schema`, or throws INVALID_INPUT `code` (default `VALIDATION.FAILED`) listing
 * every field problem in `details.issues`.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, code = 'VALIDATION.FAILED'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
    code: issue.code,
  }));
  const first = issues[0];
  throw new HeliosError('INVALID_INPUT', code, first ? `Invalid input${first.path ? ` at ${first.path}` : ''}: ${first.message}` : 'Invalid input', {
    details: { issues },
  });
}
