/**
 * Input schemas of the API keys service, and the IP address helpers the allowlist uses.
 */
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import type { Scope } from '../policy/actor';
import { SCOPES } from '../policy/actor';

/** The environments a key is made for; the secret starts with `helios_<environment>_`. */
export const API_KEY_ENVIRONMENTS = ['live', 'test'] as const;
/** The environment a key is made for. */
export type ApiKeyEnvironment = (typeof API_KEY_ENVIRONMENTS)[number];

/** Bounds of the per-key rate limit (requests per minute). */
export const API_KEY_RATE_LIMIT = { min: 1, max: 100_000, default: 60 } as const;

/** At most this many allowlist entries per key. */
export const MAX_IP_ALLOWLIST = 100;

/** The shape of a secret: `helios_<env>_` and 43 base64url characters (32 random bytes). */
export const API_KEY_SECRET_PATTERN = /^helios_(live|test)_[A-Za-z0-9_-]{43}$/;

/**
 * An IP address as PostgreSQL's `inet` and the allowlist want it, in one canonical text so that
 * equal addresses compare equal: IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, `::ffff:a00:1`)
 * become IPv4, a zone index (`%eth0`) is dropped, IPv6 is lower-case and compressed (RFC 5952:
 * `2001:DB8:0:0::1` -> `2001:db8::1`). Returns null when `value` is not an IP address.
 */
export function normalizeIp(value: unknown): { address: string; family: 'ipv4' | 'ipv6' } | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 100) return null;
  let address = value.trim().toLowerCase();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  const family = isIP(address);
  if (family === 4) return { address, family: 'ipv4' };
  if (family !== 6) return null;
  // The WHATWG URL serializer writes IPv6 hosts in the compressed, lower-case form.
  address = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (mapped?.[1] && mapped[2]) {
    const high = Number.parseInt(mapped[1], 16);
    const low = Number.parseInt(mapped[2], 16);
    return { address: `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, family: 'ipv4' };
  }
  return { address, family: 'ipv6' };
}

/** One parsed allowlist entry: an address, or a network with its prefix length. */
export interface IpRule {
  address: string;
  family: 'ipv4' | 'ipv6';
  /** The CIDR prefix length; absent for a single address. */
  prefix?: number;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7` or `::1`; null when it is none of these. */
export function parseIpRule(value: string): IpRule | null {
  const slash = value.indexOf('/');
  const ip = normalizeIp(slash >= 0 ? value.slice(0, slash) : value);
  if (!ip) return null;
  if (slash < 0) return ip;
  const prefixText = value.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > (ip.family === 'ipv4' ? 32 : 128)) return null;
  return { ...ip, prefix };
}

/** The canonical text of an allowlist entry (what is stored). */
export function formatIpRule(rule: IpRule): string {
  return rule.prefix === undefined ? rule.address : `${rule.address}/${rule.prefix}`;
}

/**
 * Builds a matcher for an allowlist (IPv4 and IPv6, addresses and CIDR networks). Entries that
 * do not parse are ignored (the service only stores valid ones).
 */
export function buildIpMatcher(
  entries: readonly string[],
): (ip: string | null | undefined) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const rule = parseIpRule(entry);
    if (!rule) continue;
    if (rule.prefix === undefined) list.addAddress(rule.address, rule.family);
    else list.addSubnet(rule.address, rule.prefix, rule.family);
  }
  return (ip) => {
    const parsed = normalizeIp(ip);
    return parsed !== null && list.check(parsed.address, parsed.family);
  };
}

/** One allowlist entry: an IPv4/IPv6 address or CIDR network, stored in canonical form. */
export const ipAllowlistEntrySchema = z
  .string()
  .max(100)
  .transform((value, ctx) => {
    const rule = parseIpRule(value.trim());
    if (!rule) {
      ctx.addIssue({
        code: 'custom',
        message: 'An IPv4 or IPv6 address, or a CIDR network such as 10.0.0.0/8',
      });
      return z.NEVER;
    }
    return formatIpRule(rule);
  });

/** An allowlist: entries are deduplicated; empty means any address. */
export const ipAllowlistSchema = z
  .array(ipAllowlistEntrySchema)
  .max(MAX_IP_ALLOWLIST, `At most ${MAX_IP_ALLOWLIST} entries`)
  .transform((list) => [...new Set(list)]);

/** The scopes of a key: at least one, each from `SCOPES`, deduplicated. */
export const scopesSchema = z
  .array(z.enum(SCOPES as unknown as [Scope, ...Scope[]]))
  .min(1, 'A key needs at least one scope')
  .max(SCOPES.length * 2)
  .transform((list) => [...new Set(list)]);

const keyName = z.string().trim().min(1, 'Required').max(255);
const keyDescription = z.string().trim().max(2000).nullable();
const rateLimit = z.number().int().min(API_KEY_RATE_LIMIT.min).max(API_KEY_RATE_LIMIT.max);
const dateSchema = z.coerce.date();

/** A new API key. */
export const createApiKeySchema = z
  .object({
    name: keyName,
    description: keyDescription.optional(),
    scopes: scopesSchema,
    /** When the key stops working (must be in the future). */
    expiresAt: dateSchema.optional(),
    /** Alternatively: days from now until the key stops working (1..3650). */
    expiresInDays: z.number().int().min(1).max(3650).optional(),
    ipAllowlist: ipAllowlistSchema.optional(),
    rateLimitPerMinute: rateLimit.default(API_KEY_RATE_LIMIT.default),
    environment: z.enum(API_KEY_ENVIRONMENTS).default('live'),
  })
  .strict()
  .refine((v) => v.expiresAt === undefined || v.expiresInDays === undefined, {
    message: 'Give expiresAt or expiresInDays, not both',
    path: ['expiresInDays'],
  });
/** A new API key. */
export type CreateApiKeyInput = z.input<typeof createApiKeySchema>;

/** Changes to an API key (its secret, environment and creator never change). */
export const updateApiKeySchema = z
  .object({
    name: keyName.optional(),
    description: keyDescription.optional(),
    scopes: scopesSchema.optional(),
    /** `null` or `[]` removes the allowlist. */
    ipAllowlist: ipAllowlistSchema.nullable().optional(),
    rateLimitPerMinute: rateLimit.optional(),
    /** `null` makes the key never expire. */
    expiresAt: dateSchema.nullable().optional(),
  })
  .strict()
  .refine((v) => Object.values(v).some((value) => value !== undefined), {
    message: 'Nothing to change',
  });
/** Changes to an API key. */
export type UpdateApiKeyInput = z.input<typeof updateApiKeySchema>;

/** Filters of `apiKeys.list`. */
export const listApiKeysSchema = z
  .object({
    /** `active` (not revoked; expired keys included, see `status`), `revoked`, or `all` (default). */
    status: z.enum(['active', 'revoked', 'all']).default('all'),
    environment: z.enum(API_KEY_ENVIRONMENTS).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(2000).nullish(),
  })
  .strict();
/** Filters of `apiKeys.list`. */
export type ListApiKeysInput = z.input<typeof listApiKeysSchema>;

/** Paging of `apiKeys.listUsage`. */
export const listApiKeyUsageSchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(2000).nullish(),
  })
  .strict();
/** Paging of `apiKeys.listUsage`. */
export type ListApiKeyUsageInput = z.input<typeof listApiKeyUsageSchema>;

/** An API key id. */
export const apiKeyIdSchema = z.uuid();

/** The request an `authenticate` call is made for (all optional; recorded in the usage log). */
export interface ApiKeyRequestContext {
  /** The caller's IP address (checked against the key's allowlist). */
  ipAddress?: string | null;
  userAgent?: string | null;
  /** HTTP method, e.g. `GET`. */
  method?: string | null;
  /** The path called, e.g. `/api/v1/users`. */
  endpoint?: string | null;
}
