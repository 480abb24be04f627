/**
 * JSON batching in the Graph simulator (`POST /v1.0/$batch`): at most 20 requests, run after the ones
 * they `dependsOn` (424 `FailedDependency` when one of those failed), answered in a shuffled order.
 */
import { randomUUID } from 'node:crypto';
import { isObject, lower, prng } from '../http-kit';
import type { GraphRequest } from './pipeline';
import {
  badRequest,
  errorBody,
  GraphError,
  JSON_TYPE,
  type Outcome,
  type Reply,
  wireBody,
} from './wire';

const MAX_BATCH = 20;

/** The batch runner: sub-requests go through `execute`; `batchSeed` seeds the shuffle of the responses. */
export function createBatch(
  execute: (req: GraphRequest) => Outcome,
  batchSeed: number | undefined,
) {
  const batchRandom = prng(batchSeed ?? 1);
  return (body: unknown, authorization: string | undefined): Reply => {
    if (!isObject(body) || !Array.isArray(body.requests))
      return { status: 400, body: badRequest('Invalid batch payload format.', 'BadRequest') };
    if (body.requests.length > MAX_BATCH)
      return {
        status: 400,
        body: badRequest('Number of requests inside batch exceeds the limit.', 'BadRequest'),
      };
    const ids = new Set<string>();
    for (const sub of body.requests) {
      if (!isObject(sub) || sub.id === undefined || !sub.method || !sub.url)
        return {
          status: 400,
          body: badRequest(
            'Invalid batch payload format: every request needs id, method and url.',
            'BadRequest',
          ),
        };
      if (ids.has(String(sub.id)))
        return {
          status: 400,
          body: badRequest('Batch request contains duplicate ids.', 'BadRequest'),
        };
      ids.add(String(sub.id));
    }
    const dependsOn = new Map<string, string[]>();
    for (const sub of body.requests as Array<Record<string, any>>) {
      if (sub.dependsOn === undefined) continue;
      if (
        !Array.isArray(sub.dependsOn) ||
        sub.dependsOn.some((d: unknown) => !ids.has(String(d)) || String(d) === String(sub.id))
      )
        return {
          status: 400,
          body: badRequest(
            `Request id : ${String(sub.id)} has an invalid dependsOn.`,
            'BadRequest',
          ),
        };
      dependsOn.set(String(sub.id), sub.dependsOn.map(String));
    }
    // Dependencies first (Graph runs a request after the ones it depends on); a cycle is refused.
    const order: Array<Record<string, any>> = [];
    const placed = new Set<string>();
    let remaining = body.requests as Array<Record<string, any>>;
    while (remaining.length > 0) {
      const ready = remaining.filter((sub) =>
        (dependsOn.get(String(sub.id)) ?? []).every((d) => placed.has(d)),
      );
      if (ready.length === 0)
        return {
          status: 400,
          body: badRequest('Batch request has circular dependsOn.', 'BadRequest'),
        };
      for (const sub of ready) {
        order.push(sub);
        placed.add(String(sub.id));
      }
      remaining = remaining.filter((sub) => !placed.has(String(sub.id)));
    }
    const statusOf = new Map<string, number>();
    const responses = order.map((sub: Record<string, any>) => {
      const id = String(sub.id);
      if ((dependsOn.get(id) ?? []).some((d) => (statusOf.get(d) ?? 0) >= 400)) {
        statusOf.set(id, 424);
        const requestId = randomUUID();
        return {
          id,
          status: 424,
          headers: {
            'Cache-Control': 'no-cache',
            'OData-Version': '4.0',
            'Content-Type': JSON_TYPE,
          },
          body: errorBody(
            new GraphError(424, 'FailedDependency', 'Dependent request failed.'),
            requestId,
            requestId,
          ),
        };
      }
      const headers: Record<string, string> = {};
      if (isObject(sub.headers))
        for (const [k, v] of Object.entries(sub.headers)) headers[k.toLowerCase()] = String(v);
      const requestId = randomUUID();
      const clientRequestId = headers['client-request-id'] ?? requestId;
      let url = String(sub.url);
      const abs = /^https?:\/\/[^/]+\/v1\.0(\/.*)?$/i.exec(url);
      if (abs) url = abs[1] ?? '/';
      url = url.replace(/^\/?(v1\.0\/)?/i, '');
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
      let bodyError: GraphError | undefined;
      let subBody: unknown = sub.body;
      if (sub.body !== undefined && !headers['content-type'])
        bodyError = badRequest(
          `Write request id : ${id} does not contain Content-Type header or body.`,
          'BadRequest',
        );
      if (typeof subBody === 'string' && lower(headers['content-type']).includes('json')) {
        try {
          subBody = JSON.parse(subBody);
        } catch {
          bodyError = badRequest('Unable to read JSON request payload.', 'BadRequest');
        }
      }
      const outcome = execute({
        method: String(sub.method).toUpperCase(),
        path,
        query,
        headers,
        body: subBody,
        bodyError,
        authorization,
        inBatch: true,
      }) as Reply;
      const outHeaders: Record<string, string> = {
        'Cache-Control': 'no-cache',
        'OData-Version': '4.0',
        ...(outcome.headers ?? {}),
      };
      if (outcome.body !== undefined) outHeaders['Content-Type'] = JSON_TYPE;
      const item: Record<string, unknown> = { id, status: outcome.status, headers: outHeaders };
      if (outcome.body !== undefined) item.body = wireBody(outcome, requestId, clientRequestId);
      statusOf.set(id, outcome.status);
      return item;
    });
    // Graph answers in any order: clients must match responses by id.
    for (let k = responses.length - 1; k > 0; k--) {
      const j = Math.floor(batchRandom() * (k + 1));
      [responses[k], responses[j]] = [responses[j]!, responses[k]!];
    }
    return { status: 200, body: { responses } };
  };
}
