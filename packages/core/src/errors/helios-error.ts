/**
 * The one error type of the SDK. Every failure a caller can act on is a HeliosError with a
 * `kind` (what sort of failure, stable across domains) and a domain `code` (what exactly).
 */

/** The sorts of failure; the reference server maps each to one HTTP status. */
export type HeliosErrorKind =
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INVALID_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'PRECONDITION_FAILED'
  | 'EXTERNAL_SERVICE'
  | 'RATE_LIMITED'
  /** A dependency (the database) is down or unreachable for now; the same call may succeed later. */
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** Options of a HeliosError besides its kind, code and message. */
export interface HeliosErrorOptions {
  /** Structured facts about the failure (never secrets). */
  details?: Record<string, unknown>;
  /** The underlying error. */
  cause?: unknown;
  /** Whether the same call may succeed when retried later. */
  retryable?: boolean;
}

const BRAND = Symbol.for('helios.error');

/**
 * An error raised by the Helios SDK.
 *
 * @example
 * ```ts
 * try { await installSchema(db) } catch (e) { if (isHeliosError(e) && e.code === 'INSTALL.NOT_EMPTY') ... }
 * ```
 */
export class HeliosError extends Error {
  readonly kind: HeliosErrorKind;
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly retryable: boolean;
  readonly [BRAND] = true;

  constructor(
    kind: HeliosErrorKind,
    code: string,
    message: string,
    options: HeliosErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HeliosError';
    this.kind = kind;
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? false;
  }

  /** A plain object for logs and JSON output: kind, code, message, details (no cause, no stack). */
  toJSON(): {
    kind: HeliosErrorKind;
    code: string;
    message: string;
    details: Record<string, unknown>;
  } {
    return { kind: this.kind, code: this.code, message: this.message, details: this.details };
  }
}

/** True when `value` is a HeliosError, also across copies of the package (CJS and ESM). */
export function isHeliosError(value: unknown): value is HeliosError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true
  );
}
