/**
 * The query languages of the Directory API: partial responses (`fields=nextPageToken,users(id,primaryEmail)`)
 * and search queries (`email:ann*`, `name:'Ann Lee'`, `orgUnitPath=/Sales`, `isSuspended=false`).
 */
import { isObject, lower } from '../http-kit';
import { ApiError, invalid } from './errors';

// --- partial responses ---------------------------------------------------------------------------

export type FieldTree = Map<string, FieldTree | true>;

export function parseFields(spec: string): FieldTree {
  let i = 0;
  const fail = () =>
    new ApiError(400, `Invalid field selection ${spec}`, 'invalidParameter', 'global', {
      locationType: 'parameter',
      location: 'fields',
    });
  const list = (): FieldTree => {
    const tree: FieldTree = new Map();
    for (;;) {
      const start = i;
      while (i < spec.length && !',()'.includes(spec[i]!)) i++;
      const path = spec.slice(start, i).trim();
      if (!path) throw fail();
      let sub: FieldTree | true = true;
      if (spec[i] === '(') {
        i++;
        sub = list();
        if (spec[i] !== ')') throw fail();
        i++;
      }
      const parts = path.split('/');
      let node: FieldTree | true = tree;
      for (let j = 0; j < parts.length && node !== true; j++) {
        const name = parts[j]!;
        if (j === parts.length - 1) {
          if (node.get(name) !== true) node.set(name, sub);
        } else {
          let next: FieldTree | true | undefined = node.get(name);
          if (next === undefined) node.set(name, (next = new Map()));
          node = next;
        }
      }
      if (spec[i] !== ',') return tree;
      i++;
    }
  };
  const tree = list();
  if (i !== spec.length) throw fail();
  return tree;
}

export function pick(value: unknown, tree: FieldTree): unknown {
  if (Array.isArray(value)) return value.map((v) => pick(v, tree));
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [name, sub] of tree) {
    if (name === '*') Object.assign(out, value);
    else if (name in value) out[name] = sub === true ? value[name] : pick(value[name], sub);
  }
  return out;
}

// --- search queries ------------------------------------------------------------------------------

export type FieldGetter = (value: any) => unknown;

export function parseQuery(
  query: string,
  fields: Record<string, FieldGetter>,
  defaults: string[],
): ((value: any) => boolean) | undefined {
  const clauses: Array<(value: any) => boolean> = [];
  const re = /\s*(?:([A-Za-z][\w.]*)([:=]))?('[^']*'|"[^"]*"|[^\s'"]+)/y;
  let rest = query.trim();
  while (rest) {
    re.lastIndex = 0;
    const m = re.exec(rest);
    if (!m) throw invalid('Invalid Input: query');
    rest = rest.slice(re.lastIndex).trim();
    const [, field, op, rawValue] = m;
    const value = rawValue!.replace(/^['"]|['"]$/g, '').toLowerCase();
    const prefix = value.endsWith('*');
    const needle = prefix ? value.slice(0, -1) : value;
    const names = field ? [field] : defaults;
    for (const name of names) if (!fields[name]) throw invalid(`Invalid Input: ${name}`);
    const matchOne = (actual: string): boolean => {
      if (field === 'orgUnitPath')
        return (
          actual === needle || needle === '/' || actual.startsWith(`${needle.replace(/\/$/, '')}/`)
        );
      if (prefix)
        return (
          actual.startsWith(needle) ||
          (op === ':' && actual.split(/\s+/).some((w) => w.startsWith(needle)))
        );
      if (op === '=') return actual === needle;
      return actual === needle || actual.split(/\s+/).includes(needle);
    };
    clauses.push((v) =>
      names.some((name) => {
        const actual = fields[name]!(v);
        const list = Array.isArray(actual) ? actual : [actual];
        return list.some((a) => a !== undefined && a !== null && matchOne(lower(a)));
      }),
    );
  }
  return clauses.length ? (v) => clauses.every((c) => c(v)) : undefined;
}
