import { readFileSync, writeFileSync } from 'node:fs';
import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, type TestHelios } from '@helios/testing';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from './app';
import { ResponseContract } from './response-contract';

// The served OpenAPI document: valid OpenAPI 3.1 (checked by a real validator), every operation
// documented and secured, and 100% of the /api/v1 routes the app registers described in it.

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  responses?: Record<string, unknown>;
  security?: Record<string, string[]>[];
  'x-helios-callers'?: string[];
  'x-helios-scope'?: string;
}

let t: TestHelios;
let app: ReturnType<typeof createServer>;
let doc: any;
beforeAll(async () => {
  t = await createTestHelios();
  const auth = createHeliosAuth(t.helios, {
    secret: 's'.repeat(40),
    baseURL: 'http://localhost',
    signInRateLimitPerMinute: 1000,
  });
  app = createServer({ helios: t.helios, auth, authRateLimitPerMinute: 1000 });
  const res = await app.request('/api/v1/openapi.json');
  expect(res.status).toBe(200);
  doc = await res.json();
});
afterAll(() => t.destroy());

function operations(): { method: string; path: string; op: Operation }[] {
  const out: { method: string; path: string; op: Operation }[] = [];
  for (const [path, item] of Object.entries<Record<string, unknown>>(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method] as Operation | undefined;
      if (op) out.push({ method, path, op });
    }
  }
  return out;
}

/** `/api/v1/users/:id` (Hono) as `/api/v1/users/{id}` (OpenAPI). */
const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 according to @seriousme/openapi-schema-validator, with every $ref resolvable', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it('passes a second, independent linter (Redocly, recommended rules) without errors or warnings', async () => {
    const config = await createConfig({
      extends: ['recommended'],
      rules: {
        'info-license': 'off',
        'info-license-url': 'off',
        // `/people/by-expertise/{topic}` and `/people/{id}/team` both match `/people/by-expertise/team`,
        // but `{id}` is a uuid (validated) and the router tries the static segment first: not ambiguous.
        'no-ambiguous-paths': 'off',
      },
    });
    const problems = await lintFromString({
      source: JSON.stringify(doc),
      absoluteRef: 'openapi.json',
      config,
    });
    const shown = problems.map(
      (p) =>
        `${p.severity} ${p.ruleId}: ${p.message} at ${p.location.map((l) => l.pointer).join(', ')}`,
    );
    expect(shown).toEqual([]);
  });

  it('names every operation with a unique camelCase operationId (what a generated client calls its methods)', () => {
    const ids = operations().map(
      ({ method, path, op }) => [`${method.toUpperCase()} ${path}`, op.operationId] as const,
    );
    const bad = ids.filter(([, id]) => !id || !/^[a-z][a-zA-Z0-9]*$/.test(id));
    expect(bad).toEqual([]);
    const seen = new Map<string, string>();
    const duplicates: string[] = [];
    for (const [name, id] of ids) {
      if (seen.has(id!)) duplicates.push(`${id}: ${seen.get(id!)} and ${name}`);
      seen.set(id!, name);
    }
    expect(duplicates).toEqual([]);
    // Stable names for the calls everyone makes.
    const byName = new Map(ids);
    expect(byName.get('GET /api/v1/users')).toBe('listUsers');
    expect(byName.get('GET /api/v1/users/{id}')).toBe('getUser');
    expect(byName.get('POST /api/v1/api-keys')).toBe('createApiKey');
    expect(byName.get('POST /api/v1/users/{id}/suspend')).toBe('suspendUser');
  });

  it('uses one parameter name per path position (no two paths differ only in a parameter name)', () => {
    const names = new Map<string, Set<string>>();
    for (const path of Object.keys(doc.paths)) {
      const shape = path.replace(/\{[^}]+\}/g, '{}');
      names.set(shape, (names.get(shape) ?? new Set()).add(path));
    }
    const clashes = [...names.values()]
      .filter((paths) => paths.size > 1)
      .map((paths) => [...paths].join(' vs '));
    expect(clashes).toEqual([]);
  });

  it('declares each schema once and with its fields: Organization is the full one, also in the setup answer', () => {
    const organization = doc.components.schemas.Organization;
    expect(Object.keys(organization.properties)).toEqual(
      expect.arrayContaining(['id', 'name', 'domain', 'isSetupComplete', 'createdAt']),
    );
    const setup =
      doc.paths['/api/v1/setup'].post.responses['201'].content['application/json'].schema;
    expect(setup.properties.organization).toEqual({ $ref: '#/components/schemas/Organization' });
    // No named object schema is an empty shell.
    const empty = Object.entries<any>(doc.components.schemas)
      .filter(([, s]) => s.type === 'object' && !s.properties && !s.additionalProperties)
      .map(([name]) => name);
    expect(empty).toEqual([]);
  });

  it('declares every field of User that the SDK returns (the contract a generated client trusts)', () => {
    const user = doc.components.schemas.User;
    expect(Object.keys(user.properties).length).toBeGreaterThanOrEqual(52);
    expect(user.required).toEqual(
      expect.arrayContaining([
        'lastLogin',
        'preferences',
        'isGuest',
        'microsoft365Upn',
        'googleWorkspaceId',
      ]),
    );
    // Declared objects do not invite extra fields.
    expect(user.additionalProperties).not.toEqual({});
  });

  it('types enum query parameters as enums', () => {
    const params = doc.paths['/api/v1/users'].get.parameters as { name: string; schema: any }[];
    const status = params.find((p) => p.name === 'status')!.schema;
    expect(status.anyOf[0].enum).toContain('suspended');
    expect(status.anyOf[1].items.enum).toContain('suspended');
    const role = params.find((p) => p.name === 'role')!.schema;
    expect(role.anyOf[0].enum).toEqual(['admin', 'manager', 'user']);
    const plainText = operations().flatMap(({ method, path, op }) =>
      (
        (op as { parameters?: { in: string; name: string; schema?: any; description?: string }[] })
          .parameters ?? []
      )
        .filter(
          (p) =>
            p.in === 'query' &&
            /^One or more of /.test(p.description ?? '') &&
            !JSON.stringify(p.schema).includes('"enum"'),
        )
        .map((p) => `${method.toUpperCase()} ${path} ${p.name}`),
    );
    expect(plainText).toEqual([]);
  });

  it('refuses, in the response check the server tests use, an undeclared field, a wrong type and an undeclared status', async () => {
    const contract = new ResponseContract(doc);
    const json = (body: unknown, status = 200) =>
      new Response(JSON.stringify(body), {
        status,
        headers: { 'content-type': 'application/json' },
      });
    const good = { status: 'ok' };
    expect(await contract.check('GET', '/health', json(good))).toEqual([]);
    expect(
      (await contract.check('GET', '/health', json({ status: 'ok', extra: 1 }))).join(),
    ).toMatch(/additional properties \(extra\)/);
    expect((await contract.check('GET', '/health', json({ status: 42 }))).join()).toMatch(
      /must be/,
    );
    expect((await contract.check('GET', '/health', json(good, 202))).join()).toMatch(
      /status 202 is not declared/,
    );
    const problem = {
      type: 'about:blank',
      title: 'Not found',
      status: 404,
      detail: 'x',
      code: 'X.Y',
      surprise: true,
    };
    const res = new Response(JSON.stringify(problem), {
      status: 404,
      headers: { 'content-type': 'application/problem+json' },
    });
    expect(
      (
        await contract.check('GET', '/api/v1/users/00000000-0000-4000-8000-000000000000', res)
      ).join(),
    ).toMatch(/surprise/);
  });

  it('declares the cookieAuth, bearerAuth and apiKeyHeader security schemes', () => {
    const schemes = doc.components?.securitySchemes ?? {};
    expect(schemes.cookieAuth).toMatchObject({ type: 'apiKey', in: 'cookie' });
    expect(schemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.apiKeyHeader).toMatchObject({ type: 'apiKey', in: 'header' });
  });

  it('documents every operation: an operationId or summary, tags, responses, a security requirement and who may call it', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(0);
    const schemes = new Set(Object.keys(doc.components?.securitySchemes ?? {}));
    const problems: string[] = [];
    for (const { method, path, op } of ops) {
      const name = `${method.toUpperCase()} ${path}`;
      if (!op.operationId?.trim() && !op.summary?.trim())
        problems.push(`${name}: no operationId or summary`);
      if (!Array.isArray(op.tags) || op.tags.length === 0) problems.push(`${name}: no tags`);
      if (!op.responses || Object.keys(op.responses).length === 0)
        problems.push(`${name}: no responses`);
      else if (!Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)))
        problems.push(`${name}: no 2xx response`);
      const callers = op['x-helios-callers'];
      if (!Array.isArray(callers) || callers.length === 0) {
        problems.push(`${name}: no x-helios-callers`);
        continue;
      }
      const unknown = callers.filter((c) => !['public', 'admin', 'manager', 'user'].includes(c));
      if (unknown.length > 0) problems.push(`${name}: unknown callers ${unknown.join(', ')}`);
      if (!Array.isArray(op.security)) {
        problems.push(`${name}: no security requirement (public operations declare security: [])`);
        continue;
      }
      if (callers.includes('public')) {
        if (op.security.length !== 0) problems.push(`${name}: public but its security is not []`);
      } else {
        if (op.security.length === 0) problems.push(`${name}: not public but security is []`);
        for (const requirement of op.security) {
          for (const scheme of Object.keys(requirement))
            if (!schemes.has(scheme)) problems.push(`${name}: unknown security scheme ${scheme}`);
        }
        if (!op.responses?.['401']) problems.push(`${name}: secured but no 401 response`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives every operation a unique method and path, and path parameters that are declared', () => {
    const problems: string[] = [];
    for (const { method, path, op } of operations()) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      const declared = ((op as { parameters?: { in: string; name: string }[] }).parameters ?? [])
        .filter((p) => p.in === 'path')
        .map((p) => p.name);
      for (const name of inPath)
        if (!declared.includes(name))
          problems.push(`${method.toUpperCase()} ${path}: path parameter ${name} not declared`);
    }
    expect(problems).toEqual([]);
  });

  it('describes 100% of the routes registered under /api/v1', () => {
    const documented = new Set(
      operations().map(({ method, path }) => `${method.toUpperCase()} ${path}`),
    );
    const registered = new Set<string>();
    for (const route of app.routes) {
      if (route.method === 'ALL') continue; // middleware (app.use)
      if (!route.path.startsWith('/api/v1/')) continue;
      if (route.path.endsWith('*')) continue;
      if (
        route.path === '/api/v1/openapi.json' ||
        route.path === '/api/v1/docs' ||
        route.path.startsWith('/api/v1/docs/')
      )
        continue;
      registered.add(`${route.method.toUpperCase()} ${toOpenApiPath(route.path)}`);
    }
    expect(registered.size).toBeGreaterThan(0);
    const missing = [...registered].filter((r) => !documented.has(r)).sort();
    expect(missing, `routes not in the OpenAPI document:\n${missing.join('\n')}`).toEqual([]);
    // And nothing in the document that the app does not serve (under /api/v1).
    const phantom = [...documented]
      .filter((d) => d.split(' ')[1]!.startsWith('/api/v1/') && !registered.has(d))
      .sort();
    expect(
      phantom,
      `documented operations the app does not register:\n${phantom.join('\n')}`,
    ).toEqual([]);
  });

  // The document is API: a change to a route's method, path, parameters, bodies or schemas must be a
  // visible decision. Regenerate the fixture with UPDATE_OPENAPI_FIXTURE=1 when it is one.
  it('keeps the methods, paths, parameters, bodies and schemas recorded in openapi.fixture.json', () => {
    const fixture = new URL('./openapi.fixture.json', import.meta.url);
    const surface = {
      operations: Object.fromEntries(
        operations()
          .map(({ method, path, op }) => {
            const { parameters, requestBody, responses } = op as {
              parameters?: unknown;
              requestBody?: unknown;
              responses?: unknown;
            };
            return [
              `${method.toUpperCase()} ${path}`,
              { parameters: parameters ?? [], requestBody: requestBody ?? null, responses },
            ] as const;
          })
          .sort(([a], [b]) => a.localeCompare(b)),
      ),
      schemas: doc.components?.schemas ?? {},
    };
    if (process.env.UPDATE_OPENAPI_FIXTURE === '1')
      writeFileSync(fixture, `${JSON.stringify(surface, null, 1)}\n`);
    expect(surface).toEqual(JSON.parse(readFileSync(fixture, 'utf8')));
  });

  // The whole served document, committed: @helios/client generates its types from it
  // (`npm run generate -w @helios/client`) and checks them against it.
  it('keeps the served document in packages/server/openapi.json (the source of @helios/client)', () => {
    const file = new URL('../openapi.json', import.meta.url);
    if (process.env.UPDATE_OPENAPI_FIXTURE === '1')
      writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
    expect(doc).toEqual(JSON.parse(readFileSync(file, 'utf8')));
  });
});
