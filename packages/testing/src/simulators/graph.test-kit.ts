/**
 * Shared setup of the Graph simulator's tests (graph.*.test.ts): real HTTP with fetch against the
 * simulator; links point to the simulator itself (links: 'local').
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { GRAPH_APPLICATION_PERMISSIONS, type GraphSimulator, startGraphSimulator } from './graph';

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

export async function tokenRequest(
  sim: GraphSimulator,
  form: Record<string, string>,
  tenant = sim.tenantId,
) {
  const res = await fetch(`${sim.authorityHost}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as any };
}

export const credentials = (sim: GraphSimulator, extra: Record<string, string> = {}) => ({
  grant_type: 'client_credentials',
  client_id: sim.clientId,
  client_secret: sim.clientSecret,
  scope: GRAPH_SCOPE,
  ...extra,
});

export async function token(sim: GraphSimulator): Promise<string> {
  const { status, body } = await tokenRequest(sim, credentials(sim));
  expect(status, JSON.stringify(body)).toBe(200);
  return body.access_token;
}

export interface ApiResult {
  status: number;
  body: any;
  headers: Headers;
}

export async function call(
  sim: GraphSimulator,
  tok: string | null,
  method: string,
  pathOrUrl: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResult> {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${sim.url}/v1.0/${pathOrUrl}`;
  const res = await fetch(url, {
    method,
    headers: {
      ...(tok ? { authorization: `Bearer ${tok}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export function expectGraphError(
  result: ApiResult,
  status: number,
  code: string,
  message?: string | RegExp,
) {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.body.error.code).toBe(code);
  if (typeof message === 'string') expect(result.body.error.message).toBe(message);
  else if (message) expect(result.body.error.message).toMatch(message);
  expect(result.body.error.innerError).toMatchObject({
    date: expect.any(String),
    'request-id': expect.any(String),
    'client-request-id': expect.any(String),
  });
}

/** Follows `@odata.nextLink` until a page without it; answers every item, the pages and the last page. */
export async function followAll(
  sim: GraphSimulator,
  tok: string,
  first: string,
  headers: Record<string, string> = {},
) {
  const items: any[] = [];
  let next: string | undefined = first;
  let pages = 0;
  let last: any;
  while (next) {
    const res = await call(sim, tok, 'GET', next, undefined, headers);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    items.push(...res.body.value);
    last = res.body;
    next = res.body['@odata.nextLink'];
    pages++;
  }
  return { items, pages, last };
}

export const UPN = (i: number) => `user${String(i).padStart(6, '0')}@example.test`;

/** A simulator of one test file with a token, read in hooks and tests once started. */
export interface GraphSimHandle {
  sim: GraphSimulator;
  tok: string;
  /** The id of seed user `i` (`UPN(i)`). */
  idOf(i: number): string;
}

/**
 * Starts a simulator with `users` seed users and no groups for the file (`beforeAll`), with a token;
 * closes it after, and gives every permission back after each test.
 */
export function useGraphSimulator(users: number): GraphSimHandle {
  const handle = {
    idOf: (i: number) =>
      [...handle.sim.state.users.values()].find((u) => u.userPrincipalName === UPN(i))!.id,
  } as GraphSimHandle;
  beforeAll(async () => {
    handle.sim = await startGraphSimulator({ links: 'local', seed: { users, groups: 0 } });
    handle.tok = await token(handle.sim);
  });
  afterAll(() => handle.sim?.close());
  afterEach(() => handle.sim?.grantPermissions([...GRAPH_APPLICATION_PERMISSIONS]));
  return handle;
}
