/**
 * Graph's `$filter` (OData): `eq`/`ne`/`in`/`startswith`/`endswith`/`ge`/`le`/`gt`/`lt`, `any`
 * lambdas, `not`, `and`/`or` and parentheses, with the top-level `eq`/`in` on a property kept for
 * an index lookup.
 */
import { lower } from '../http-kit';
import { GUID_RE } from './schema';
import { badRequest, unsupported } from './wire';

type Filter = (value: Record<string, any>) => boolean;
/** A parsed `$filter`, with the values of a top-level `eq`/`in` on an indexed property for a fast path. */
export interface ParsedFilter {
  test: Filter;
  lookup?: { prop: string; values: string[] };
  needsAdvanced: boolean;
}

export function parseFilter(
  text: string,
  names: Map<string, string>,
  typeName: string,
): ParsedFilter {
  const tokens: string[] = [];
  const re = /\s*('(?:[^']|'')*'|[(),:/]|[^\s(),:/']+)/y;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while (re.lastIndex < text.length && (m = re.exec(text))) tokens.push(m[1]!);
  if (tokens.join('').replace(/\s/g, '') !== text.replace(/\s/g, ''))
    throw badRequest(`Invalid filter clause: ${text}`, 'BadRequest');
  let pos = 0;
  let needsAdvanced = false;
  const peek = () => tokens[pos];
  const next = () => {
    const t = tokens[pos++];
    if (t === undefined)
      throw badRequest("Syntax error: character ')' is not valid at position 0.", 'BadRequest');
    return t;
  };
  const expect = (t: string) => {
    if (lower(next()) !== t)
      throw badRequest(`Syntax error at position ${pos} in '${text}'.`, 'BadRequest');
  };
  const prop = (name: string) => {
    const c = names.get(lower(name));
    if (!c)
      throw badRequest(
        `Property '${name}' does not exist as a declared property or extension property.`,
        'Request_BadRequest',
      );
    return c;
  };
  const literal = (): unknown => {
    const t = next();
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    const l = lower(t);
    if (l === 'true') return true;
    if (l === 'false') return false;
    if (l === 'null') return null;
    if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
    if (GUID_RE.test(t)) return t;
    throw badRequest(`Syntax error at position ${pos} in '${text}'.`, 'BadRequest');
  };
  const same = (a: unknown, b: unknown) =>
    typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b;
  const compare = (op: string, a: unknown, b: unknown): boolean => {
    if (op === 'eq') return same(a, b) || (a === undefined && b === null);
    if (op === 'ne') return !same(a, b);
    if (a === null || a === undefined) return false;
    const x = typeof a === 'string' ? a.toLowerCase() : (a as number);
    const y = typeof b === 'string' ? b.toLowerCase() : (b as number);
    if (op === 'ge') return x >= y;
    if (op === 'le') return x <= y;
    if (op === 'gt') return x > y;
    if (op === 'lt') return x < y;
    throw unsupported();
  };
  let lookup: ParsedFilter['lookup'];
  const primary = (top: boolean): Filter => {
    const t = next();
    const l = lower(t);
    if (t === '(') {
      const inner = or(false);
      expect(')');
      return inner;
    }
    if (l === 'not') {
      needsAdvanced = true;
      const inner = primary(false);
      return (v) => !inner(v);
    }
    if (l === 'startswith' || l === 'endswith') {
      expect('(');
      const p = prop(next());
      expect(',');
      const value = lower(literal());
      expect(')');
      if (l === 'endswith') needsAdvanced = true;
      return (v) =>
        typeof v[p] === 'string' &&
        (l === 'startswith'
          ? v[p].toLowerCase().startsWith(value)
          : v[p].toLowerCase().endsWith(value));
    }
    const p = prop(t);
    if (peek() === '/') {
      next();
      if (lower(next()) !== 'any') throw unsupported();
      expect('(');
      const variable = next();
      expect(':');
      const ref = next();
      let sub: string | undefined;
      if (peek() === '/') {
        next();
        sub = next();
      }
      if (ref !== variable)
        throw badRequest(`Syntax error at position ${pos} in '${text}'.`, 'BadRequest');
      const op = lower(next());
      const value = literal();
      expect(')');
      return (v) =>
        Array.isArray(v[p]) &&
        v[p].some((item: any) => compare(op, sub ? item?.[sub] : item, value));
    }
    const op = lower(next());
    if (op === 'in') {
      expect('(');
      const values: unknown[] = [literal()];
      while (peek() === ',') {
        next();
        values.push(literal());
      }
      expect(')');
      if (top) lookup = { prop: p, values: values.map(String) };
      return (v) => values.some((x) => same(v[p], x));
    }
    if (!['eq', 'ne', 'ge', 'le', 'gt', 'lt'].includes(op)) throw unsupported();
    if (op !== 'eq') needsAdvanced = needsAdvanced || op === 'ne';
    const value = literal();
    if (top && op === 'eq' && typeof value === 'string') lookup = { prop: p, values: [value] };
    return (v) => compare(op, v[p], value);
  };
  const and = (top: boolean): Filter => {
    const parts = [primary(top)];
    while (lower(peek()) === 'and') {
      next();
      parts.push(primary(false));
    }
    if (parts.length > 1) lookup = undefined;
    return parts.length === 1 ? parts[0]! : (v) => parts.every((f) => f(v));
  };
  const or = (top: boolean): Filter => {
    const parts = [and(top)];
    while (lower(peek()) === 'or') {
      next();
      parts.push(and(false));
    }
    if (parts.length > 1) lookup = undefined;
    return parts.length === 1 ? parts[0]! : (v) => parts.some((f) => f(v));
  };
  const test = or(true);
  if (pos !== tokens.length)
    throw badRequest(`Syntax error at position ${pos} in '${text}' for ${typeName}.`, 'BadRequest');
  return lookup ? { test, lookup, needsAdvanced } : { test, needsAdvanced };
}
