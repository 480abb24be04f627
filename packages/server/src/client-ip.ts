/**
 * The client's IP address, computed once per request and used everywhere (API key allowlists,
 * rate limits, sessions, audit and security events).
 *
 * `X-Forwarded-For` is a list the client starts and every proxy appends to, so its left-most
 * entries are whatever the client wrote. The address is taken from the right: the hop that the
 * nearest trusted proxy saw. The result is canonical (IPv4-mapped IPv6 as IPv4, IPv6 lower-case
 * and compressed), so allowlists and audit rows compare equal.
 */

import { BlockList } from 'node:net';
import { CORE_ERRORS } from '@helios/core';
import { normalizeIp, parseIpRule } from '@helios/core/internal';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { SERVER_ERRORS } from './server.errors';

/**
 * Which proxies are trusted to report the client address in `X-Forwarded-For`:
 * - `false` (default): none; the address is the socket's peer and the header is ignored;
 * - `true` or a number `n`: the `n` proxies nearest the server (`true` = 1); the address is the
 *   `n`-th entry from the right of the chain (the header's entries, then the socket's peer);
 * - a list of addresses or CIDR ranges (`['10.0.0.0/8', '192.0.2.7']`): walking the chain from the
 *   right, trusted addresses are skipped and the first other one is the client.
 */
export type TrustProxy = boolean | number | readonly string[];

/** Used when the socket's peer is unknown (`app.request()` in tests). */
const UNKNOWN_PEER = '127.0.0.1';

/**
 * Parses `HELIOS_TRUST_PROXY`: `false`/`0`, `true`, a hop count (`2`), or a comma-separated list of
 * trusted proxy addresses and CIDR ranges.
 *
 * @throws HeliosError INVALID_INPUT `CONFIG.INVALID` naming the entry that is none of these
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '' || text === 'false') return false;
  if (text === 'true') return 1;
  if (/^\d{1,2}$/.test(text)) return Number(text) === 0 ? false : Number(text);
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const bad = entries.filter((e) => parseIpRule(e) === null);
  if (entries.length === 0 || bad.length > 0) {
    throw CORE_ERRORS.CONFIG_INVALID(
      {
        message: `Invalid configuration: HELIOS_TRUST_PROXY must be false, true, a number of proxy hops, or a comma-separated list of proxy addresses or CIDR ranges (not ${JSON.stringify(bad[0] ?? value)}).`,
      },
      {
        details: {
          problems: [
            `HELIOS_TRUST_PROXY ${JSON.stringify(bad[0] ?? value)} is not an address or CIDR range`,
          ],
        },
      },
    );
  }
  return entries;
}

/**
 * Builds the function that computes a request's client address under `trustProxy`.
 *
 * @throws HeliosError INVALID_INPUT `SERVER.BAD_OPTIONS` for a negative hop count or a list entry
 *   that is not an address or CIDR range
 */
export function clientIpResolver(trustProxy: TrustProxy = false): (c: Context) => string {
  let hops = 0;
  let trusted: ((ip: string) => boolean) | null = null;
  if (typeof trustProxy === 'number') {
    if (!Number.isInteger(trustProxy) || trustProxy < 0) {
      throw SERVER_ERRORS.BAD_OPTIONS({});
    }
    hops = trustProxy;
  } else if (trustProxy === true) {
    hops = 1;
  } else if (Array.isArray(trustProxy)) {
    const list = new BlockList();
    for (const entry of trustProxy as readonly string[]) {
      const rule = parseIpRule(entry.trim());
      if (!rule) throw SERVER_ERRORS.BAD_OPTIONS({ entry });
      if (rule.prefix === undefined) list.addAddress(rule.address, rule.family);
      else list.addSubnet(rule.address, rule.prefix, rule.family);
    }
    trusted = (ip) => {
      const parsed = normalizeIp(ip);
      return parsed !== null && list.check(parsed.address, parsed.family);
    };
  }

  return (c) => {
    const peer = peerAddress(c);
    if (hops === 0 && !trusted) return peer;
    // The chain as the server sees it: what the client and each proxy wrote, then the socket's peer.
    const header = c.req.raw.headers.get('x-forwarded-for');
    const chain = [
      ...(header ?? '')
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean),
      peer,
    ];
    if (trusted) {
      // From the right: skip the trusted proxies; the first other hop is the client. An entry that
      // is not an address ends the walk at the trusted hop that forwarded it.
      for (let i = chain.length - 1; i >= 0; i -= 1) {
        const ip = canonical(chain[i]);
        if (!ip) return canonical(chain[i + 1]) ?? peer;
        if (!trusted(ip)) return ip;
      }
      return canonical(chain[0]) ?? peer;
    }
    // `hops` trusted proxies: the entry the farthest of them appended; never beyond the chain's start.
    for (let i = Math.max(0, chain.length - 1 - hops); i < chain.length; i += 1) {
      const ip = canonical(chain[i]);
      if (ip) return ip;
    }
    return peer;
  };
}

/** An entry's address, canonical; a port some proxies append (`198.51.100.9:4711`, `[2001:db8::1]:4711`) is dropped. */
function canonical(value: string | undefined): string | null {
  const text = value?.trim() ?? '';
  const withPort =
    /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text) ?? /^\[([0-9a-fA-F:.]+)\]:\d{1,5}$/.exec(text);
  return normalizeIp(withPort ? withPort[1] : text)?.address ?? null;
}

/** The socket's peer address, canonical. */
function peerAddress(c: Context): string {
  try {
    return canonical(getConnInfo(c).remote.address) ?? UNKNOWN_PEER;
  } catch {
    return UNKNOWN_PEER;
  }
}
