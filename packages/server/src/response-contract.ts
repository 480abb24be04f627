/**
 * Test support (not part of the package's entry): checks a response of the server against the
 * OpenAPI document the same server serves, with additional properties refused. The server's test
 * files send their requests through {@link withResponseContract} (see `createTestServer`), so every
 * response they produce is checked: an undeclared field, a wrong type, an undeclared status or
 * content type fails the test that made the request.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * The document with every object that lists `properties` closed (`additionalProperties: false`
 * unless it declares a schema for them): what a generated client trusts. Free-form maps (no
 * `properties`) stay open.
 */
export function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) out[key] = closeObjects(value);
  const additional = out.additionalProperties;
  const isOpen =
    additional === undefined ||
    additional === true ||
    (typeof additional === 'object' && additional !== null && Object.keys(additional).length === 0);
  if (out.properties && typeof out.properties === 'object' && isOpen)
    out.additionalProperties = false;
  return out;
}

interface Operation {
  path: string;
  method: string;
  pattern: RegExp;
  params: number;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

/** One compiled document: finds the operation of a request and validates its response. */
export class ResponseContract {
  private readonly ajv: Ajv2020;
  private readonly operations: Operation[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(document: Json) {
    const doc = closeObjects(structuredClone(document)) as Json;
    this.ajv = new Ajv2020({
      strict: false,
      allErrors: true,
      validateSchema: false,
      validateFormats: true,
    });
    addFormats.default(this.ajv);
    this.ajv.addSchema(doc, 'openapi.json');
    for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
      for (const method of METHODS) {
        const op = item[method] as { responses?: Operation['responses'] } | undefined;
        if (!op) continue;
        const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
        this.operations.push({
          path,
          method,
          pattern: new RegExp(`^${source}$`),
          params: (path.match(/\{/g) ?? []).length,
          responses: op.responses ?? {},
        });
      }
    }
    // A static segment wins over a parameter (`/users/count` before `/users/{id}`).
    this.operations.sort((a, b) => a.params - b.params);
  }

  private validator(pointer: string): ValidateFunction {
    let fn = this.compiled.get(pointer);
    if (!fn) {
      fn = this.ajv.compile({ $ref: `openapi.json#${pointer}` });
      this.compiled.set(pointer, fn);
    }
    return fn;
  }

  /** The problems of `res` as the answer to `method url` (empty when it keeps the contract, or the route is not documented). */
  async check(method: string, url: string, res: Response): Promise<string[]> {
    const { pathname } = new URL(url, 'http://localhost');
    const op = this.operations.find(
      (o) => o.method === method.toLowerCase() && o.pattern.test(pathname),
    );
    if (!op) return [];
    const name = `${method.toUpperCase()} ${pathname} → ${res.status} (${op.path})`;
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const declared = op.responses[String(res.status)];
    if (type === 'application/problem+json') {
      // Error statuses the app adds around routes (413, 415, 500, 503) all answer problem+json.
      return this.validate(name, '/components/schemas/Problem', await res.clone().json());
    }
    if (!declared) return [`${name}: status ${res.status} is not declared`];
    if (res.status === 204 || !type) return [];
    const media = declared.content?.[type];
    if (!media)
      return [
        `${name}: content type ${type} is not declared (declared: ${Object.keys(declared.content ?? {}).join(', ') || 'none'})`,
      ];
    if (type !== 'application/json') return [];
    const escaped = op.path.replace(/~/g, '~0').replace(/\//g, '~1');
    return this.validate(
      name,
      `/paths/${escaped}/${op.method}/responses/${res.status}/content/application~1json/schema`,
      await res.clone().json(),
    );
  }

  private validate(name: string, pointer: string, body: unknown): string[] {
    const fn = this.validator(pointer);
    if (fn(body)) return [];
    return (fn.errors ?? []).map((e) => {
      const extra = (e.params as { additionalProperty?: string }).additionalProperty;
      return `${name}: ${e.instancePath || '/'} ${e.message}${extra ? ` (${extra})` : ''}`;
    });
  }
}

interface RequestingApp {
  request(
    input: string | Request | URL,
    init?: RequestInit,
    ...rest: unknown[]
  ): Response | Promise<Response>;
}

/**
 * `app` whose `request()` checks every response against the app's own OpenAPI document and throws
 * when one breaks it.
 */
export function withResponseContract<A extends RequestingApp>(app: A): A {
  const original = app.request.bind(app);
  let contract: Promise<ResponseContract> | undefined;
  const load = () => {
    contract ??= Promise.resolve(original('/api/v1/openapi.json')).then(
      async (res) => new ResponseContract((await res.json()) as Json),
    );
    return contract;
  };
  app.request = (async (input: string | Request | URL, init?: RequestInit, ...rest: unknown[]) => {
    const res = await original(input, init, ...rest);
    const url = input instanceof Request ? input.url : String(input);
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    const problems = await (await load()).check(method, url, res);
    if (problems.length > 0)
      throw new Error(`The response breaks the OpenAPI document:\n${problems.join('\n')}`);
    return res;
  }) as A['request'];
  return app;
}
