/**
 * A small fixed-window limiter per client IP, for the unauthenticated routes that invite abuse
 * (setup, sign-in). Kept in this process; run one limiter per instance behind a proxy that also limits.
 */
import type { MiddlewareHandler } from 'hono';
import { problemFrom, problemResponse } from './problem';
import { SERVER_ERRORS } from './server.errors';

/** Limits requests per IP to `max` per `windowMs`. */
export function rateLimitPerIp(options: {
  max: number;
  windowMs: number;
  key: string;
  ipOf: (c: Parameters<MiddlewareHandler>[0]) => string;
}): MiddlewareHandler {
  const hits = new Map<string, { count: number; resetAt: number }>();
  return async (c, next) => {
    const now = Date.now();
    const ip = limitKey(options.ipOf(c));
    let entry = hits.get(ip);
    if (!entry || entry.resetAt <= now) {
      entry = { count: 0, resetAt: now + options.windowMs };
      hits.set(ip, entry);
      if (hits.size > 10_000) for (const [k, v] of hits) if (v.resetAt <= now) hits.delete(k);
    }
    entry.count += 1;
    if (entry.count > options.max) {
      const retryAfterSeconds = Math.ceil((entry.resetAt - now) / 1000);
      return problemResponse(
        c,
        problemFrom(429, SERVER_ERRORS.RATE_LIMITED({ key: options.key, retryAfterSeconds }), {
          details: { retryAfterSeconds },
          requestId: c.get('requestId'),
        }),
      );
    }
    await next();
  };
}

/**
 * The bucket of an address: an IPv4 address itself; an IPv6 address by its /64 network (one
 * subscriber usually holds a whole /64, and could otherwise rotate addresses to escape the limit).
 */
export function limitKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}
