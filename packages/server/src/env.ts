import type { Actor, HeliosScope } from '@helios/core';

/** The Hono environment of the server: what middleware puts on the context. */
export interface AppEnv {
  Variables: {
    /** The request id (X-Request-Id), echoed on every response and log line. */
    requestId: string;
    /** The client's IP address, computed once under the trusted-proxy setting. */
    clientIp: string;
    /** Who calls: a session's user, an API key, or nobody. */
    actor: Actor | undefined;
    /** The SDK bound to the caller and the request (IP, user agent). */
    sdk: HeliosScope;
  };
}
