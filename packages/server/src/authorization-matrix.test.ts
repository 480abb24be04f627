import { randomUUID } from 'node:crypto';
import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from './app';
import { withResponseContract } from './response-contract';

// The authorization matrix: every operation of the served OpenAPI document (whatever routes exist
// when the test runs, never a fixed list), called as an admin, a manager with a report, a plain
// user (session cookies), an API key whose only scope is people:read, and nobody. An operation
// declares in `x-helios-callers` which roles may get a 2xx ('public', 'admin', 'manager', 'user');
// any 2xx for another caller fails the test. The scope-less key may get a 2xx only where the
// operation's `x-helios-scope` is 'people:read', or where it is public.
//
// Path parameters are ids of real objects where the document lets us find them cheaply (the
// collection's GET as admin, or as the caller for /me/*; a caller's own id, a manager's report, or
// a throwaway user for /users/{id}), else random uuids; bodies are built from the request schema
// (required fields, plausible values). GETs run first, then POST/PUT/PATCH, then DELETE; within an
// operation the admin calls last; after every mutating operation the callers are checked to be
// still signed in (and signed in again, or the test fails, if an operation ended a session).

type CallerName = 'anonymous' | 'apiKey' | 'user' | 'manager' | 'admin';
const CALLERS: CallerName[] = ['anonymous', 'apiKey', 'user', 'manager', 'admin'];
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const PHASE: Record<string, number> = { get: 0, post: 1, put: 1, patch: 1, delete: 2 };
const PASSWORD = {
  admin: 'admin matrix password 1',
  manager: 'manager matrix password 2',
  user: 'user matrix password 3',
} as const;
const ORIGIN = 'http://localhost';

type Schema = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  op: {
    parameters?: { in: string; name: string; required?: boolean; schema?: Schema }[];
    requestBody?: { content?: Record<string, { schema?: Schema }> };
    'x-helios-callers'?: string[];
    'x-helios-scope'?: string;
  };
}
interface Call {
  operation: string;
  caller: CallerName;
  status: number;
  allowed: boolean;
  /** The problem's code and detail, for the failure messages. */
  detail: string;
}

let t: TestHelios;
let app: ReturnType<typeof createServer>;
let doc: any;
let operationCount = 0;
let seeded = 0;
const calls: Call[] = [];
const checked = new Set<string>();
const reSignIns: string[] = [];
/** What the server logged as failed requests (the 500s' causes). */
const serverErrors: string[] = [];

const ids = { admin: '', manager: '', report: '', user: '', victim: '', apiKey: '' };
const email = { admin: '', manager: '', user: '' };
const cookies: Partial<Record<CallerName, string>> = {};
let apiKeySecret = '';

async function signIn(who: 'admin' | 'manager' | 'user'): Promise<void> {
  const res = await app.request('/api/auth/sign-in/email', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN },
    body: JSON.stringify({ email: email[who], password: PASSWORD[who] }),
  });
  if (res.status !== 200)
    throw new Error(`${who} could not sign in: ${res.status} ${await res.text()}`);
  cookies[who] = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

function headersOf(caller: CallerName, withBody: boolean): Record<string, string> {
  const headers: Record<string, string> = { origin: ORIGIN };
  if (withBody) headers['content-type'] = 'application/json';
  if (caller === 'apiKey') headers.authorization = `Bearer ${apiKeySecret}`;
  else if (caller !== 'anonymous') headers.cookie = cookies[caller] ?? '';
  return headers;
}

// ---------------------------------------------------------------------------------------------
// Plausible values from the document's schemas.

let counter = 0;
const unique = () => `${++counter}${randomUUID().slice(0, 4)}`;

function deref(schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; i < 20 && typeof s.$ref === 'string'; i++) {
    const name = s.$ref.replace('#/components/schemas/', '');
    s = doc.components?.schemas?.[name] ?? {};
  }
  return s;
}

function plausibleString(schema: Schema, name: string, caller: CallerName): string {
  const n = unique();
  const format = schema.format as string | undefined;
  if (format === 'email' || /e-?mail|sendTo|^to$/i.test(name)) return `matrix${n}@acme.test`;
  if (format === 'password' || /password/i.test(name))
    return caller in PASSWORD ? PASSWORD[caller as keyof typeof PASSWORD] : 'matrix password 12345';
  if (format === 'uuid' || /(^id$|Id$)/.test(name)) {
    if (/manager/i.test(name)) return ids.manager;
    if (/user|member|owner/i.test(name)) return ids.victim;
    return randomUUID();
  }
  if (/mime/i.test(name)) return 'audio/mpeg';
  if (format === 'date') return '2031-01-01';
  if (format === 'date-time') return '2031-01-01T00:00:00.000Z';
  // Anything the server might connect to (SMTP hosts, SSO issuers, webhooks) points at this
  // machine's discard port: the walk never sends traffic off the machine.
  if (format === 'uri' || format === 'url' || /ur[li]$|issuer|endpoint/i.test(name))
    return 'http://127.0.0.1:9/';
  const candidates = /host/i.test(name)
    ? ['127.0.0.1', 'localhost']
    : /domain/i.test(name)
      ? [`matrix${n}.test`, `matrix${n}.example.test`]
      : [
          `matrix${n}`,
          `matrix_${n}`,
          `matrix-${n}`,
          `Matrix ${n}`,
          `matrix.${n}`,
          `m${n}`,
          `matrix${n}.test`,
          `MATRIX${n}`,
          'matrix',
          'en',
          'en-US',
          '#123456',
          '09:00',
          'x',
        ];
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : 255;
  let pattern: RegExp | null = null;
  if (typeof schema.pattern === 'string') {
    try {
      pattern = new RegExp(schema.pattern, 'u');
    } catch {
      pattern = null;
    }
  }
  for (const c of candidates) {
    const padded = c.length < min ? c.padEnd(min, 'x') : c;
    if (padded.length <= max && (!pattern || pattern.test(padded))) return padded;
  }
  return candidates[0]!.padEnd(min, 'x').slice(0, Math.max(max, 1));
}

function plausible(
  schemaIn: Schema | undefined,
  name: string,
  caller: CallerName,
  depth = 0,
): unknown {
  const schema = deref(schemaIn);
  if (depth > 6) return undefined;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0)
    return schema.enum.find((v: unknown) => v !== null) ?? schema.enum[0];
  const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (options && options.length > 0) {
    const first = options.map(deref).find((o) => o.type !== 'null') ?? options[0];
    return plausible(first, name, caller, depth + 1);
  }
  if (Array.isArray(schema.allOf)) {
    return Object.assign(
      {},
      ...schema.allOf.map((s: Schema) => plausible(s, name, caller, depth + 1) ?? {}),
    );
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type =
    types.find((x: unknown) => x && x !== 'null') ?? (schema.properties ? 'object' : undefined);
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set<string>(schema.required ?? []);
      if (required.size === 0) {
        // An update with every field optional: change one harmless field (never an email,
        // password, role or state, which could lock a caller out).
        const harmless = Object.keys(props).find((k) => {
          if (/email|password|role|status|state|active|enabled|domain/i.test(k)) return false;
          const s = deref(props[k]);
          const ts = Array.isArray(s.type) ? s.type : [s.type];
          return ts.includes('string') && !s.enum && !s.format && !s.pattern;
        });
        const choice =
          harmless ??
          Object.keys(props).find(
            (k) =>
              !/email|password|role|status|state|active|enabled|domain/i.test(k) &&
              Array.isArray(deref(props[k]).enum),
          );
        if (choice) required.add(choice);
      }
      for (const key of required) {
        const value = plausible(props[key], key, caller, depth + 1);
        if (value !== undefined) out[key] = value;
      }
      return out;
    }
    case 'array': {
      const count = typeof schema.minItems === 'number' ? schema.minItems : 0;
      return Array.from({ length: count }, () => plausible(schema.items, name, caller, depth + 1));
    }
    case 'string':
      return plausibleString(schema, name, caller);
    case 'integer':
    case 'number': {
      let value =
        typeof schema.minimum === 'number'
          ? schema.minimum
          : typeof schema.exclusiveMinimum === 'number'
            ? schema.exclusiveMinimum + 1
            : 1;
      if (typeof schema.maximum === 'number' && value > schema.maximum) value = schema.maximum;
      return value;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return type === undefined && name ? 'matrix' : undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Path parameters: real ids where cheap.

/** Objects the walk depends on: never picked as a path parameter. */
const protectedIds = () =>
  new Set([ids.admin, ids.manager, ids.user, ids.apiKey, 'portal.public_url']);

function userIdFor(caller: CallerName): string {
  if (caller === 'user') return ids.user;
  if (caller === 'manager') return ids.report;
  return ids.victim;
}

async function pickFromCollection(
  collection: string,
  param: string,
  caller: CallerName,
): Promise<string | null> {
  const asCaller =
    collection.startsWith('/api/v1/me/') &&
    (caller === 'admin' || caller === 'manager' || caller === 'user')
      ? caller
      : 'admin';
  const res = await app.request(collection, { headers: headersOf(asCaller, false) });
  if (res.status !== 200 || !res.headers.get('content-type')?.includes('application/json')) {
    await res.arrayBuffer();
    return null;
  }
  const body = (await res.json()) as unknown;
  const items = Array.isArray(body)
    ? body
    : Array.isArray((body as { items?: unknown })?.items)
      ? (body as { items: unknown[] }).items
      : [];
  const skip = protectedIds();
  for (const item of items) {
    if (!item || typeof item !== 'object') continue;
    const record = item as Record<string, unknown>;
    // `key` may be `featureKey`, `slug` may be `moduleSlug`...
    const alias = Object.keys(record).find(
      (k) => k !== param && k.toLowerCase().endsWith(param.toLowerCase()),
    );
    const value = record[param] ?? (alias ? record[alias] : undefined);
    if (typeof value === 'string' && !skip.has(value)) return value;
  }
  return null;
}

async function fillPath(operation: Operation, caller: CallerName): Promise<string> {
  let path = operation.path;
  const params = operation.op.parameters ?? [];
  for (const match of [...operation.path.matchAll(/\{([^}]+)\}/g)]) {
    const name = match[1]!;
    const prefix = path.slice(0, path.indexOf(`{${name}}`)).replace(/\/$/, '');
    const segment = prefix.split('/').at(-1) ?? '';
    const schema = deref(params.find((p) => p.in === 'path' && p.name === name)?.schema);
    let value: string | null = null;
    if (name === 'userId' || segment === 'users' || segment === 'people') value = userIdFor(caller);
    else if (prefix === '/api/v1/api-keys') value = await pickFromCollection(prefix, name, caller);
    else if (Array.isArray(schema.enum) && schema.enum.length > 0) value = String(schema.enum[0]);
    else value = await pickFromCollection(prefix, name, caller);
    if (value === null)
      value =
        schema.format === 'uuid' || name === 'id' || name.endsWith('Id')
          ? randomUUID()
          : String(plausible(schema, name, caller));
    path = path.replace(`{${name}}`, encodeURIComponent(value));
  }
  const query = new URLSearchParams();
  for (const p of params) {
    if (p.in === 'query' && p.required)
      query.set(p.name, String(plausible(p.schema, p.name, caller)));
  }
  return query.size > 0 ? `${path}?${query}` : path;
}

// ---------------------------------------------------------------------------------------------

function allowed(operation: Operation, caller: CallerName): boolean {
  const callers = operation.op['x-helios-callers'] ?? [];
  if (callers.includes('public')) return true;
  if (caller === 'anonymous') return false;
  if (caller === 'apiKey') return operation.op['x-helios-scope'] === 'people:read';
  return callers.includes(caller);
}

/** After an operation that changes things: every caller must still be who it was. */
async function ensureCallers(after: string): Promise<void> {
  for (const who of ['admin', 'manager', 'user'] as const) {
    const res = await app.request('/api/v1/organization', { headers: headersOf(who, false) });
    await res.arrayBuffer();
    if (res.status === 200) continue;
    reSignIns.push(`${who} after ${after}`);
    await signIn(who).catch((error) => {
      throw new Error(`${after} left the ${who} unable to sign in again: ${error.message}`);
    });
  }
  const key = await app.request('/api/v1/organization', { headers: headersOf('apiKey', false) });
  await key.arrayBuffer();
  if (key.status === 401)
    throw new Error(`${after} left the people:read API key unable to authenticate`);
}

/**
 * Before the walk: one object in every collection (a path with both GET and POST), created by the
 * admin (for /me/* by each signed-in caller), so that path parameters name real objects. These
 * calls are arrangement, not part of the matrix.
 */
async function seed(operations: Operation[]): Promise<number> {
  const collections = operations
    .filter((o) => o.method === 'post' && doc.paths[o.path]?.get)
    .sort((a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0));
  let created = 0;
  for (const operation of collections) {
    const schema = operation.op.requestBody?.content?.['application/json']?.schema;
    const who: CallerName[] = operation.path.startsWith('/api/v1/me/')
      ? ['admin', 'manager', 'user']
      : ['admin'];
    for (const caller of who) {
      const res = await app.request(await fillPath(operation, caller), {
        method: 'POST',
        headers: headersOf(caller, true),
        body: JSON.stringify(schema ? (plausible(schema, '', caller) ?? {}) : {}),
      });
      await res.arrayBuffer();
      if (res.status >= 200 && res.status < 300) created++;
    }
  }
  return created;
}

async function walk(): Promise<void> {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<Record<string, any>>(doc.paths ?? {})) {
    for (const method of Object.keys(item)) {
      if (
        !(METHODS as readonly string[]).includes(method) &&
        !['head', 'options', 'trace'].includes(method)
      )
        continue;
      operations.push({ method, path, op: item[method] });
    }
  }
  operationCount = operations.length;
  seeded = await seed(operations);
  await ensureCallers('seeding');
  operations.sort((a, b) => (PHASE[a.method] ?? 1) - (PHASE[b.method] ?? 1));
  for (const operation of operations) {
    const name = `${operation.method.toUpperCase()} ${operation.path}`;
    const schema = operation.op.requestBody?.content?.['application/json']?.schema;
    const hasBody = !['get', 'head', 'delete', 'options', 'trace'].includes(operation.method);
    for (const caller of CALLERS) {
      const url = await fillPath(operation, caller);
      const body = hasBody
        ? JSON.stringify(schema ? (plausible(schema, '', caller) ?? {}) : {})
        : undefined;
      const res = await app.request(url, {
        method: operation.method.toUpperCase(),
        headers: headersOf(caller, hasBody),
        ...(body ? { body } : {}),
      });
      const text = await res.text();
      let detail = '';
      if (res.headers.get('content-type')?.includes('problem+json')) {
        const p = JSON.parse(text) as { code?: string; detail?: string };
        detail = `${p.code}: ${p.detail}`.slice(0, 300);
      }
      calls.push({
        operation: name,
        caller,
        status: res.status,
        allowed: allowed(operation, caller),
        detail,
      });
    }
    checked.add(name);
    if (operation.method !== 'get') await ensureCallers(name);
  }
}

beforeAll(async () => {
  t = await createTestHelios();
  const auth = createHeliosAuth(t.helios, {
    secret: 's'.repeat(40),
    baseURL: ORIGIN,
    signInRateLimitPerMinute: 100_000,
  });
  const logger = {
    debug() {},
    info() {},
    warn() {},
    error: (message: string, fields?: Record<string, unknown>) =>
      serverErrors.push(`${message} ${JSON.stringify(fields ?? {})}`.slice(0, 500)),
  };
  app = withResponseContract(
    createServer({ helios: t.helios, auth, authRateLimitPerMinute: 100_000, logger }),
  );

  const manager = await createTestUser(t.helios, {
    role: 'manager',
    first_name: 'Mia',
    last_name: 'Manager',
  });
  const report = await createTestUser(t.helios, {
    reporting_manager_id: manager.id,
    first_name: 'Rey',
    last_name: 'Report',
  });
  const user = await createTestUser(t.helios, { first_name: 'Uma', last_name: 'User' });
  const victim = await createTestUser(t.helios, { first_name: 'Vic', last_name: 'Throwaway' });
  Object.assign(ids, {
    admin: t.admin!.id,
    manager: manager.id,
    report: report.id,
    user: user.id,
    victim: victim.id,
  });
  Object.assign(email, { admin: t.admin!.email, manager: manager.email, user: user.email });
  for (const who of ['admin', 'manager', 'user'] as const) {
    await t.asAdmin.credentials.setPassword(ids[who], PASSWORD[who]);
    await signIn(who);
  }
  const key = await t.asAdmin.apiKeys.create({
    name: 'matrix: people:read only',
    scopes: ['people:read'],
    rateLimitPerMinute: 100_000,
  });
  apiKeySecret = key.secret;
  ids.apiKey = key.apiKey.id;
  // Links in invitations and password resets need the portal's URL.
  await t.asAdmin.organizations.settings.set({ key: 'portal.public_url', value: ORIGIN });
  await t.asAdmin.organizations.settings.set({
    key: 'matrix.setting',
    value: 'for the admin to change and delete',
  });
  // Something for the admin to revoke, renew or delete that no caller depends on.
  await t.asAdmin.apiKeys.create({ name: 'matrix: throwaway', scopes: ['users:read'] });

  const res = await app.request('/api/v1/openapi.json');
  expect(res.status).toBe(200);
  doc = await res.json();
  await walk();
  // MATRIX_DUMP=<file> writes every call's status there, to look at the whole matrix.
  if (process.env.MATRIX_DUMP)
    (await import('node:fs')).writeFileSync(
      process.env.MATRIX_DUMP,
      JSON.stringify(calls, null, 1),
    );
}, 900_000);
afterAll(() => t?.destroy());

describe('the authorization matrix', () => {
  it('calls every operation of the OpenAPI document as every caller', () => {
    expect(operationCount).toBeGreaterThan(0);
    expect(checked.size).toBe(operationCount);
    expect(calls.length).toBe(operationCount * CALLERS.length);
    expect(seeded).toBeGreaterThan(0);
  });

  it('gives no caller a 2xx on an operation that does not list it in x-helios-callers (or, for the scope-less key, x-helios-scope)', () => {
    const unexpected = calls
      .filter((c) => c.status >= 200 && c.status < 300 && !c.allowed)
      .map((c) => `${c.caller} got ${c.status} on ${c.operation}`);
    expect(unexpected, unexpected.join('\n')).toEqual([]);
  });

  it('answers no call with an internal server error (502 for an unreachable upstream is fine)', () => {
    const failed = calls
      .filter((c) => c.status === 500)
      .map((c) => `${c.caller} got ${c.status} on ${c.operation} (${c.detail})`);
    expect(failed, `${failed.join('\n')}\nserver log:\n${serverErrors.join('\n')}`).toEqual([]);
  });

  it('gets a 2xx for the admin on most operations (the walk exercises more than refusals)', () => {
    // Callers whose session an operation ended by design (DELETE /me/sessions, a password change)
    // were signed in again after it; the walk fails if one could not be.
    const succeeded = new Set(
      calls
        .filter((c) => c.caller === 'admin' && c.status >= 200 && c.status < 300)
        .map((c) => c.operation),
    );
    expect(succeeded.size).toBeGreaterThan(operationCount / 2);
  });
});
