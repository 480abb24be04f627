/**
 * Graph's wire shapes: the JSON error envelope (`{ error: { code, message, innerError } }`), the
 * OData JSON content type, and the replies and routes of the request pipeline.
 */
import { SimulatorHttpError } from '../http-kit';
import { GRAPH_REQUEST_UNIT_COSTS } from './permissions';

export const JSON_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** An error answered in Graph's JSON error envelope. */
export class GraphError extends SimulatorHttpError {
  constructor(
    status: number,
    readonly code: string,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(status, message, headers);
  }
}

export const badRequest = (message: string, code = 'Request_BadRequest') =>
  new GraphError(400, code, message);
export const notFound = (key: string) =>
  new GraphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
  );
export const unsupported = () => badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
export const denied = () =>
  new GraphError(
    403,
    'Authorization_RequestDenied',
    'Insufficient privileges to complete the operation.',
  );
export const generalException = () =>
  new GraphError(500, 'generalException', 'General exception while processing.');

/** Graph's error envelope. */
export const errorBody = (error: GraphError, requestId: string, clientRequestId: string) => ({
  error: {
    code: error.code,
    message: error.message,
    innerError: {
      date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
      'request-id': requestId,
      'client-request-id': clientRequestId,
    },
  },
});

/** The answer of a route (a `GraphError` body is sent in Graph's envelope). */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The wire body of a reply (errors in Graph's envelope). */
export const wireBody = (reply: Reply, requestId: string, clientRequestId: string) =>
  reply.body instanceof GraphError ? errorBody(reply.body, requestId, clientRequestId) : reply.body;

/** The reply of an error. */
export const errorReply = (error: GraphError): Reply => ({
  status: error.status,
  body: error,
  headers: error.headers,
});

export interface Ctx {
  query: URLSearchParams;
  body: any;
  headers: Record<string, string>;
  roles: Set<string>;
  /** The request path under /v1.0 (for links). */
  path: string;
}

export interface Route {
  name: string;
  roles: readonly string[];
  units: number;
  run(ctx: Ctx): Reply;
}

/** A reply, or a socket fault (`timeout` holds the socket, `reset` drops it mid-body). */
export type Outcome = Reply | { fault: 'timeout' | 'reset' };

/** A route charged as one of Graph's "other" requests (`GRAPH_REQUEST_UNIT_COSTS.other`). */
export const otherRoute = (
  name: string,
  roles: readonly string[],
  run: (ctx: Ctx) => Reply,
): Route => ({ name, roles, units: GRAPH_REQUEST_UNIT_COSTS.other, run });

/** Graph's answer to a method the path does not take (405). */
export const wrongMethodError = (): { error: GraphError } => ({
  error: new GraphError(
    405,
    'Request_BadRequest',
    'Specified HTTP method is not allowed for the request target.',
  ),
});
