/**
 * The request pipeline of the Graph simulator: one Graph request (a top-level one or a `$batch`
 * sub-request) goes through its route, injected faults, authentication, the route's roles,
 * throttling, then its handler.
 */
import { type FaultPlan, pathSegments } from '../http-kit';
import type { AccessTokens } from './access-tokens';
import type { Resolve } from './router';
import type { Tenant } from './tenant';
import type { Throttle } from './throttle';
import type { GraphFaultKind, GraphSimulator } from './types';
import { denied, GraphError, generalException, type Outcome, type Reply } from './wire';

/** A request to run. */
export interface GraphRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  bodyError?: GraphError;
  authorization: string | undefined;
  inBatch: boolean;
}

export interface PipelineParts {
  tenant: Tenant;
  resolve: Resolve;
  faults: FaultPlan<GraphFaultKind>;
  throttle: Throttle;
  authenticate: AccessTokens['authenticate'];
  requests: GraphSimulator['requests'];
  count(name: string): void;
}

const tooMany = (headers: Record<string, string>) =>
  new GraphError(
    429,
    'TooManyRequests',
    'Too many requests. Retry after the number of seconds in the Retry-After header.',
    headers,
  );

export function createPipeline(parts: PipelineParts) {
  const { tenant, resolve, faults, throttle, authenticate, requests, count } = parts;

  /** The error of an injected fault (in a `$batch` sub-request, `timeout` answers 504 and `reset` 502). */
  const faultError = (kind: GraphFaultKind): GraphError => {
    const retryAfter = faults.retryAfter;
    switch (kind) {
      case '429':
        return tooMany({ 'Retry-After': retryAfter });
      case '500':
        return generalException();
      case '503':
        return new GraphError(
          503,
          'serviceNotAvailable',
          'The service is temporarily unavailable. Please try again later.',
          { 'Retry-After': retryAfter },
        );
      case 'timeout':
      case '504':
        return new GraphError(504, 'UnknownError', 'The request timed out at the gateway.');
      default:
        return new GraphError(502, 'UnknownError', 'The connection to the backend was reset.');
    }
  };

  /** Draws a fault: its outcome (a socket fault only when `socket`), or null. */
  const drawFault = (socket: boolean): Outcome | null => {
    const fault = faults.draw();
    if (!fault) return null;
    requests.faultsInjected++;
    if (socket && (fault === 'timeout' || fault === 'reset')) return { fault };
    const error = faultError(fault);
    return { status: error.status, body: error, headers: error.headers };
  };

  /** The resource units of a request: the route's, `$select` one off, `$top` under 20 one off, `$expand` one more; at least 1. */
  const unitsOf = (base: number, query: URLSearchParams): number => {
    let units = base;
    if (query.get('$select')) units--;
    const top = query.get('$top');
    if (top !== null && Number(top) < 20) units--;
    if (query.get('$expand')) units++;
    return Math.max(1, units);
  };

  /** Runs one Graph request (a top-level one or a `$batch` sub-request) through faults, auth, throttling and its route. */
  const execute = (req: GraphRequest): Outcome => {
    const segs = pathSegments(req.path) ?? ['%'];
    const resolved = resolve(req.method, segs);
    const route = 'error' in resolved ? undefined : resolved;
    count(route?.name ?? 'unknown');
    if (!route)
      return {
        status: (resolved as { error: GraphError }).error.status,
        body: (resolved as { error: GraphError }).error,
      };
    const fault = drawFault(!req.inBatch);
    if (fault) return fault;
    const roles = authenticate(req.authorization);
    if (roles instanceof GraphError)
      return { status: roles.status, body: roles, headers: roles.headers };
    if (!route.roles.some((r) => roles.has(r))) return { status: 403, body: denied() };
    const units = unitsOf(route.units, req.query);
    const refused = throttle.charge(units, req.method !== 'GET');
    if (refused) {
      requests.throttled++;
      const error = tooMany({
        'Retry-After': String(refused.wait),
        'x-ms-throttle-scope': `Tenant_Application/${refused.limit}/${tenant.clientId}/${tenant.tenantId}`,
        'x-ms-throttle-information': refused.reason,
      });
      return { status: 429, body: error, headers: error.headers };
    }
    requests.requestUnits += units;
    if (req.bodyError) return { status: req.bodyError.status, body: req.bodyError };
    try {
      const reply: Reply = route.run({
        query: req.query,
        body: req.body,
        headers: req.headers,
        roles,
        path: segs.join('/'),
      });
      return {
        ...reply,
        headers: { ...(reply.headers ?? {}), 'x-ms-resource-unit': String(units) },
      };
    } catch (error) {
      if (error instanceof GraphError)
        return { status: error.status, body: error, headers: error.headers };
      throw error;
    }
  };

  return { execute, drawFault };
}
