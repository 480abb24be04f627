import { randomUUID } from 'node:crypto';
import { createTestHelios, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, signInNewUser } from './test-support';

// Bad input, generated from the server's own OpenAPI document: for every operation, its path and
// query parameters and its JSON body (each property in turn, then the whole body) get wrong types,
// NUL characters, unpaired surrogates, huge strings, deep nesting and huge arrays, sent by an admin
// (an admin:full API key, and a session for a sample). No answer may be a 5xx, and no answer may
// carry a SQLSTATE. Generated cases, no random fuzzing: every run sends the same requests.

type Schema = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  params: Array<{ name: string; in: 'path' | 'query'; schema?: Schema }>;
  body: Schema | null;
}

const HUGE = 'x'.repeat(1_000_000);
const HUGE_URL_PART = 'x'.repeat(100_000);
// Deeply nested values are built as text: serializing them would exhaust this process's stack too.
const DEEP = `${'['.repeat(5000)}${']'.repeat(5000)}`;
const DEEP_OBJECT = `{"metadata":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
const HUGE_ARRAY = JSON.stringify(Array.from({ length: 100_000 }, (_, i) => i));

let t: TestHelios;
let app: ReturnType<typeof createTestServer>;
let apiKey: string;
let cookie: string;
let doc: {
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, Schema> };
};

beforeAll(async () => {
  t = await createTestHelios();
  app = createTestServer(t);
  apiKey = (
    await t.asAdmin.apiKeys.create({
      name: 'bad input',
      scopes: ['admin:full'],
      rateLimitPerMinute: 100_000,
    })
  ).secret;
  cookie = (await signInNewUser(t, app, 'admin')).cookie;
  doc = (await (await app.request('/api/v1/openapi.json')).json()) as typeof doc;
}, 120_000);
afterAll(() => t?.destroy());

function resolve(schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; i < 10 && typeof s.$ref === 'string'; i++)
    s = doc.components?.schemas?.[s.$ref.split('/').pop()!] ?? {};
  if (Array.isArray(s.allOf) && s.allOf.length === 1) return resolve(s.allOf[0]);
  return s;
}

function typeOf(schema: Schema): string {
  const s = resolve(schema);
  if (typeof s.type === 'string') return s.type;
  if (Array.isArray(s.type)) return s.type.find((t: string) => t !== 'null') ?? 'string';
  const variant = s.anyOf ?? s.oneOf;
  if (Array.isArray(variant))
    return typeOf(variant.find((v: Schema) => resolve(v).type !== 'null') ?? {});
  if (Array.isArray(s.enum)) return typeof s.enum[0];
  return 'unknown';
}

/** A plausible value for a schema (so that one bad field at a time reaches as deep as it can). */
function plausible(schema: Schema | undefined, name = ''): unknown {
  const s = resolve(schema);
  if (Array.isArray(s.enum)) return s.enum[0];
  if (s.const !== undefined) return s.const;
  const variant = s.anyOf ?? s.oneOf;
  if (Array.isArray(variant))
    return plausible(variant.find((v: Schema) => resolve(v).type !== 'null') ?? {}, name);
  switch (typeOf(s)) {
    case 'string':
      if (s.format === 'uuid') return randomUUID();
      if (s.format === 'email' || /email/i.test(name))
        return `probe.${randomUUID().slice(0, 8)}@acme.test`;
      if (s.format === 'date-time') return '2026-01-01T00:00:00.000Z';
      if (s.format === 'date') return '2026-01-01';
      if (s.format === 'uri' || /url/i.test(name)) return 'https://probe.acme.test/x';
      return 'probe'.padEnd(Math.max(5, s.minLength ?? 0), 'x');
    case 'number':
    case 'integer':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return Object.fromEntries(
        Object.entries<Schema>(s.properties ?? {})
          .filter(([key]) => (s.required ?? []).includes(key))
          .map(([key, value]) => [key, plausible(value, key)]),
      );
    default:
      return 'probe';
  }
}

/** Values of the wrong type for a schema. */
function wrongType(schema: Schema): unknown {
  switch (typeOf(schema)) {
    case 'string':
      return 12345;
    case 'number':
    case 'integer':
      return 'not a number';
    case 'boolean':
      return 'yes';
    case 'array':
      return { not: 'an array' };
    default:
      return ['not', 'an', 'object'];
  }
}

function operations(): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      const content = op.requestBody?.content?.['application/json'];
      ops.push({
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []).filter((p: any) => p.in === 'path' || p.in === 'query'),
        body: content ? resolve(content.schema) : null,
      });
    }
  }
  return ops;
}

interface Case {
  label: string;
  method: string;
  url: string;
  body?: string;
  contentType?: string;
  session?: boolean;
}

const adminHeaders = () => ({
  origin: 'http://localhost',
  'x-api-key': apiKey,
  'content-type': 'application/json',
});

/**
 * Arranges rows for the path parameters to point at: every collection's create operation (a POST
 * without path parameters) is called once with a plausible body. What it answers is checked too.
 */
async function seed(ops: Operation[], failures: string[]): Promise<void> {
  for (const op of ops) {
    if (
      op.method !== 'POST' ||
      op.params.some((p) => p.in === 'path') ||
      !op.body ||
      /setup|password-reset|invitations\/accept/.test(op.path)
    )
      continue;
    const res = await app.request(op.path, {
      method: 'POST',
      headers: adminHeaders(),
      body: JSON.stringify(plausible(op.body)),
    });
    const text = await res.text();
    if (res.status >= 500 || /sqlstate/i.test(text))
      failures.push(`seed POST ${op.path} -> ${res.status} ${text.slice(0, 300)}`);
  }
}

const listed = new Map<string, unknown[]>();
/** A value of a path parameter that names an existing row when the collection above it lists one. */
async function realValue(op: Operation, name: string): Promise<string | null> {
  const prefix = op.path.slice(0, op.path.indexOf(`{${name}}`)).replace(/\/$/, '');
  if (prefix.includes('{')) return null;
  if (!listed.has(prefix)) {
    const res = await app.request(`${prefix}?limit=5`, { headers: adminHeaders() });
    const body = res.status === 200 ? ((await res.json()) as any) : null;
    listed.set(prefix, Array.isArray(body) ? body : Array.isArray(body?.items) ? body.items : []);
  }
  for (const item of listed.get(prefix) as Array<Record<string, unknown>>) {
    for (const key of [name, 'id', 'slug', 'key', 'email', 'googleId', 'msId'])
      if (typeof item?.[key] === 'string') return item[key] as string;
  }
  return null;
}

/** The cases of one operation: each parameter, each body property, then the whole body. */
async function casesOf(op: Operation): Promise<Case[]> {
  const cases: Case[] = [];
  const pathValues: Record<string, string> = {};
  for (const p of op.params.filter((p) => p.in === 'path')) {
    pathValues[p.name] = encodeURIComponent(
      (await realValue(op, p.name)) ?? String(plausible(p.schema, p.name)),
    );
  }
  const urlWith = (override: { name: string; in: string; raw: string } | null) => {
    let url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
      override?.in === 'path' && override.name === name
        ? override.raw
        : (pathValues[name] ?? 'probe'),
    );
    if (override?.in === 'query') url += `?${encodeURIComponent(override.name)}=${override.raw}`;
    return url;
  };
  const baseBody = op.body ? (plausible(op.body) as Record<string, unknown>) : undefined;
  const bodyText = baseBody === undefined ? undefined : JSON.stringify(baseBody);

  const rawParamValues: Array<[string, string]> = [
    ['NUL', 'a%00b'],
    ['unpaired surrogate (as UTF-8 bytes)', '%ED%A0%80'],
    ['overlong NUL', '%C0%80'],
    ['huge', HUGE_URL_PART],
    ['wrong type', '-1.5e999'],
  ];
  for (const p of op.params) {
    for (const [what, raw] of rawParamValues) {
      cases.push({
        label: `${p.in} ${p.name}: ${what}`,
        method: op.method,
        url: urlWith({ name: p.name, in: p.in, raw }),
        ...(bodyText ? { body: bodyText } : {}),
      });
    }
  }
  const url = urlWith(null);
  if (op.body) {
    const properties = Object.entries<Schema>(resolve(op.body).properties ?? {});
    // [what, the property's value as JSON text]
    // Every property gets a wrong type, NUL and surrogates; the size and depth cases go to the
    // properties whose type could take them (others are refused as a wrong type already).
    const badValues = (schema: Schema): Array<[string, string]> => {
      const type = typeOf(schema);
      const cases: Array<[string, string]> = [
        ['wrong type', JSON.stringify(wrongType(schema))],
        ['NUL', JSON.stringify('Engineer\u0000')],
        ['unpaired surrogate', JSON.stringify('Engineer \uD800')],
      ];
      if (type === 'string') cases.push(['huge string', JSON.stringify(HUGE)]);
      if (type === 'object' || type === 'unknown')
        cases.push(['NUL key', JSON.stringify({ 'a\u0000b': 'x' })], ['deep object', DEEP_OBJECT]);
      if (type === 'array' || type === 'object' || type === 'unknown')
        cases.push(['huge array', HUGE_ARRAY], ['deep array', DEEP]);
      return cases;
    };
    const withProperty = (name: string, valueText: string) => {
      const { [name]: _replaced, ...rest } = baseBody ?? {};
      const restText = JSON.stringify(rest);
      return `{${JSON.stringify(name)}:${valueText}${restText === '{}' ? '' : `,${restText.slice(1, -1)}`}}`;
    };
    for (const [name, schema] of properties) {
      for (const [what, valueText] of badValues(schema)) {
        cases.push({
          label: `body.${name}: ${what}`,
          method: op.method,
          url,
          body: withProperty(name, valueText),
        });
      }
    }
    const wholeBodies: Array<[string, string]> = [
      ['array body', '[]'],
      ['string body', '"Engineer\\u0000"'],
      ['null body', 'null'],
      ['malformed JSON', '{"a":'],
      ['deep body', DEEP],
      ['deep under a key', DEEP_OBJECT],
      ['huge array body', HUGE_ARRAY],
      ['lone surrogate escape', '{"name":"\\udc00"}'],
      ['NUL escape in a key', '{"\\u0000":1}'],
    ];
    for (const [what, body] of wholeBodies)
      cases.push({ label: `body: ${what}`, method: op.method, url, body });
    cases.push({
      label: 'body: wrong content type',
      method: op.method,
      url,
      body: bodyText ?? '{}',
      contentType: 'text/plain',
    });
  }
  return cases;
}

describe('bad input from the OpenAPI document', () => {
  it('never answers 5xx and never shows a SQLSTATE, for every operation and kind of bad input', async () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(100);
    const failures: string[] = [];
    await seed(ops, failures);
    const cases: Case[] = [];
    for (const op of ops) cases.push(...(await casesOf(op)));
    // A sample as a signed-in admin (session cookie), the rest with the admin:full API key.
    cases.forEach((c, i) => {
      if (i % 10 === 0) c.session = true;
    });
    let count = 0;
    const send = async (c: Case) => {
      const headers: Record<string, string> = {
        origin: 'http://localhost',
        ...(c.session ? { cookie } : { 'x-api-key': apiKey }),
      };
      if (c.body !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
      const res = await app.request(c.url, {
        method: c.method,
        headers,
        ...(c.body !== undefined && c.method !== 'GET' ? { body: c.body } : {}),
      });
      const text = await res.text();
      count++;
      const where = `${c.method} ${c.url.slice(0, 120)} [${c.label}]`;
      if (res.status >= 500) failures.push(`${where} -> ${res.status} ${text.slice(0, 300)}`);
      else if (/sqlstate/i.test(text))
        failures.push(`${where} -> a SQLSTATE in ${text.slice(0, 300)}`);
    };
    // A few requests at a time (as clients would send them); each case is independent.
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < cases.length) await send(cases[next++]!);
      }),
    );
    expect(count).toBeGreaterThan(1000);
    console.info(`bad input: ${count} requests to ${ops.length} operations`);
    expect(failures).toEqual([]);
  }, 600_000);
});
