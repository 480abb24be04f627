/**
 * Error registries: each domain lists its error codes once, in its `<domain>.errors.ts`, with the
 * kind and the message of each, and throws through the typed factories `defineErrors` builds
 * (`throw USERS_ERRORS.NOT_FOUND({ id })`), never through a code written at the throw site.
 */
import {
  HeliosError,
  type HeliosErrorKind,
  type HeliosErrorOptions,
  isHeliosError,
} from './helios-error';

/**
 * One error code of a registry. `message` is the text, or a function of the factory's parameters;
 * `details` (optional) derives the structured facts from the same parameters.
 */
export interface ErrorSpec<P = never> {
  /** The code, `DOMAIN.WHAT` (documented API: never renamed). */
  readonly code: string;
  /** The sort of failure (the server maps it to the HTTP status). */
  readonly kind: HeliosErrorKind;
  /** The message, or how to build it from the parameters. */
  readonly message: string | ((params: P) => string);
  /** The `details` built from the parameters (merged under the call's own `details`). */
  readonly details?: (params: P) => Record<string, unknown>;
  /** Whether retrying later may succeed (default false; a call may still say otherwise). */
  readonly retryable?: boolean;
  /** What the code means, for the generated table in docs/errors.md (required when `message` is a function). */
  readonly summary?: string;
}

/** The parameters a spec's factory takes (from its message or details function), or `undefined` for none. */
export type ErrorParams<S> = S extends {
  /** A message built from parameters. */
  message: (params: infer P) => string;
}
  ? NoneIfUnknown<P>
  : S extends {
        /** Details built from parameters. */
        details: (params: infer P) => Record<string, unknown>;
      }
    ? NoneIfUnknown<P>
    : undefined;

/** A function without parameters infers `unknown`: it takes none. */
type NoneIfUnknown<P> = unknown extends P ? undefined : P;

/**
 * One registered error code, as a registry holds it: call it to build the HeliosError (with the
 * code's parameters `P` first when it takes any); it also carries its code `C`, kind and summary.
 *
 * @example
 * ```ts
 * throw USERS_ERRORS.NOT_FOUND({ id });
 * if (USERS_ERRORS.NOT_FOUND.is(error)) console.log(USERS_ERRORS.NOT_FOUND.code);
 * ```
 */
export interface ErrorCodeFactory<C extends string = string, P = undefined> {
  /** Builds the HeliosError of this code (`options` adds details, a cause, retryability). */
  (
    ...args: [P] extends [undefined]
      ? [options?: HeliosErrorOptions]
      : [params: P, options?: HeliosErrorOptions]
  ): HeliosError;
  /** The code, `DOMAIN.WHAT` (documented API: never renamed). */
  readonly code: C;
  /** The sort of failure (the server maps it to the HTTP status). */
  readonly kind: HeliosErrorKind;
  /** The documented meaning (the summary, else the fixed message). */
  readonly summary: string;
  /** True when `error` is a HeliosError with this code. */
  is(error: unknown): error is HeliosError;
}

/** A registered error of a spec: {@link ErrorCodeFactory} with the spec's code and parameters. */
export type ErrorFactory<S extends ErrorSpec<any>> = ErrorCodeFactory<S['code'], ErrorParams<S>>;

/** A registry: the factories of one domain, by name. */
export type ErrorRegistry<R extends Record<string, ErrorSpec<any>>> = {
  readonly [K in keyof R]: ErrorFactory<R[K]>;
};

/** The facts of one registered code, as listed in docs/errors.md. */
export interface ErrorCodeEntry {
  code: string;
  kind: HeliosErrorKind;
  summary: string;
}

const ENTRY = Symbol.for('helios.error-entry');

function factoryOf(spec: ErrorSpec<any>): ErrorFactory<ErrorSpec<any>> {
  const summary = spec.summary ?? (typeof spec.message === 'string' ? spec.message : '');
  const make = (...args: unknown[]): HeliosError => {
    const takesParams =
      (typeof spec.message === 'function' && spec.message.length > 0) ||
      (spec.details !== undefined && spec.details.length > 0);
    const params = takesParams ? args[0] : undefined;
    const options = ((takesParams ? args[1] : args[0]) ?? {}) as HeliosErrorOptions;
    const message =
      typeof spec.message === 'function' ? spec.message(params as never) : spec.message;
    const derived = spec.details ? spec.details(params as never) : undefined;
    const details = derived || options.details ? { ...derived, ...options.details } : undefined;
    return new HeliosError(spec.kind, spec.code, message, {
      ...(details ? { details } : {}),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      retryable: options.retryable ?? spec.retryable ?? false,
    });
  };
  return Object.assign(make, {
    code: spec.code,
    kind: spec.kind,
    summary,
    is: (error: unknown): error is HeliosError => isHeliosError(error) && error.code === spec.code,
    [ENTRY]: { code: spec.code, kind: spec.kind, summary } satisfies ErrorCodeEntry,
  }) as unknown as ErrorFactory<ErrorSpec<any>>;
}

/**
 * Builds a registry of typed error factories from specs.
 *
 * @example
 * ```ts
 * export const USERS_ERRORS = defineErrors({
 *   NOT_FOUND: { code: 'USERS.NOT_FOUND', kind: 'NOT_FOUND', message: 'No such user.', details: (p: { id: string }) => p },
 * });
 * throw USERS_ERRORS.NOT_FOUND({ id });
 * ```
 */
export function defineErrors<const R extends Record<string, ErrorSpec<any>>>(
  specs: R,
): {
  // The same type as ErrorRegistry<R>, written out so that a registry's type (and its reference
  // page) lists each code's factory rather than the specs it was built from.
  readonly [K in keyof R]: ErrorCodeFactory<R[K]['code'], ErrorParams<R[K]>>;
} {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = factoryOf(spec);
  return Object.freeze(out) as ErrorRegistry<R>;
}

/** The codes of a registry by name (`{ NOT_FOUND: 'USERS.NOT_FOUND', ... }`), for the `*_ERROR_CODES` constants. */
export function codesOf<R extends Record<string, { readonly code: string }>>(
  registry: R,
): { readonly [K in keyof R]: R[K]['code'] } {
  const out: Record<string, string> = {};
  for (const [name, factory] of Object.entries(registry)) out[name] = factory.code;
  return Object.freeze(out) as { readonly [K in keyof R]: R[K]['code'] };
}

/** The entries (code, kind, summary) of registries, in their order. */
export function entriesOf(...registries: ReadonlyArray<Record<string, unknown>>): ErrorCodeEntry[] {
  const out: ErrorCodeEntry[] = [];
  for (const registry of registries) {
    for (const factory of Object.values(registry)) {
      const entry = (factory as { [ENTRY]?: ErrorCodeEntry })[ENTRY];
      if (entry) out.push({ ...entry });
    }
  }
  return out;
}

/**
 * A registered error told again with what a wrapper knows (e.g. a retry that gave up): the same
 * kind, code and retryability, another message, more details; the cause is the original's cause,
 * else the original. Never a new code: the code stays the one its registry defined.
 *
 * @example
 * ```ts
 * throw restateError(error, `${error.message} Gave up after 3 attempts.`, { attempts: 3 });
 * ```
 */
export function restateError(
  error: HeliosError,
  message: string,
  details: Record<string, unknown> = {},
): HeliosError {
  return new HeliosError(error.kind, error.code, message, {
    details: { ...error.details, ...details },
    cause: error.cause ?? error,
    retryable: error.retryable,
  });
}
