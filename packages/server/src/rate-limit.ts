/**
 * A small fixed-window limiter per client IP, for the unauthenticated routes that invite abuse
 * (setup, sign-in). Kept in this process; run one limiter per instance behind a proxy that also limits.
 */
import type { MiddlewareHandler } from 'hono';
import { problem, problemResponse } from './problem';

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
    const ip = rateLimitBucket(options.ipOf(c));
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
        problem(429, 'SERVER.RATE_LIMITED', `Too many requests to ${options.key}: try again in ${retryAfterSeconds} s.`, {
          details: { retryAfterSeconds },
          requestId: c.get('requestId'),
        }),
      );
    }
    await next();
  };
}

/**
 * The bucket an address is counted in: an IPv4 address as is, an IPv6 address by its /64 (a single
 * host usually holds a whole /64, and could otherwise rotate through it to escape the limit).
 */
export function rateLimitBucket(ip: string): string {
  if (!ip.includes(':')) return ip;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
