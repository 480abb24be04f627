/**
 * Rows stay snake_case; the public API is camelCase. These helpers map at the boundary, with types
 * derived from the row types so a DTO never repeats a column list.
 */

/** `first_name` -> `firstName` at the type level. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/** An object type with camelCase keys. */
export type Camelize<T> = { [K in keyof T as K extends string ? CamelCase<K> : K]: T[K] };

/** `firstName` -> `first_name` at the type level. */
export type SnakeCase<S extends string> = S extends `${infer C}${infer Rest}`
  ? C extends Lowercase<C>
    ? `${C}${SnakeCase<Rest>}`
    : `_${Lowercase<C>}${SnakeCase<Rest>}`
  : S;

/** An object type with snake_case keys. */
export type Snakeize<T> = { [K in keyof T as K extends string ? SnakeCase<K> : K]: T[K] };

const camelCache = new Map<string, string>();
const snakeCache = new Map<string, string>();

/** `first_name` -> `firstName`. */
export function camelCase(key: string): string {
  let out = camelCache.get(key);
  if (out === undefined) {
    out = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    camelCache.set(key, out);
  }
  return out;
}

/** `firstName` -> `first_name`. */
export function snakeCase(key: string): string {
  let out = snakeCache.get(key);
  if (out === undefined) {
    out = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    snakeCache.set(key, out);
  }
  return out;
}

/** A row with camelCase keys (shallow: jsonb values are left as they are). */
export function camelize<T extends object>(row: T): Camelize<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) out[camelCase(key)] = value;
  return out as Camelize<T>;
}

/** An input with snake_case keys, dropping undefined values (shallow). */
export function snakeize<T extends object>(input: T): Snakeize<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input))
    if (value !== undefined) out[snakeCase(key)] = value;
  return out as Snakeize<T>;
}
