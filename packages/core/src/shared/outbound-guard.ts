/**
 * The outbound-address guard: where Helios may connect when the target comes from a request (an
 * SSO issuer or discovery document, SMTP settings), as opposed to configuration (createHelios
 * `integrations`, `mailer`), which is trusted and not checked here.
 *
 * Every address a host resolves to is checked, and the connection uses the checked address (a
 * `lookup` that checks is handed to the socket), so a DNS answer that changes between the check and
 * the connect (rebinding) cannot reach a refused address. Always refused: unspecified, link-local,
 * multicast, reserved and broadcast addresses, and the cloud metadata endpoints (169.254.169.254,
 * fd00:ec2::254, 100.100.100.200, 192.0.0.192, metadata.google.internal...). Loopback and private
 * ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, 127/8, ::1) only when
 * `network.allowPrivateTargets` (or HELIOS_ALLOW_PRIVATE_NETWORK_TARGETS=true) allows them.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { HeliosError } from '../errors';
import { SHARED_ERRORS } from './shared.errors';

/** Where request-supplied targets may point (createHelios `network`). */
export interface NetworkOptions {
  /**
   * Allow loopback and private addresses (on-premises identity providers and SMTP relays, local
   * tests). Default: the HELIOS_ALLOW_PRIVATE_NETWORK_TARGETS variable (`true`/`1`), else false.
   * Link-local and metadata addresses stay refused either way.
   */
  allowPrivateTargets?: boolean;
}

/** The variable that allows private and loopback targets when createHelios gets no `network` option. */
export const NETWORK_ENV = 'HELIOS_ALLOW_PRIVATE_NETWORK_TARGETS';

/** Error codes of the guard. */
export const NETWORK_ERROR_CODES = {
  /** The target (a host, URL or the address it resolves to) may not be reached (INVALID_INPUT). */
  TARGET_NOT_ALLOWED: SHARED_ERRORS.NETWORK_TARGET_NOT_ALLOWED.code,
} as const;

/**
 * A stored secret is never sent to a new destination: changing where it goes (SMTP host, port or
 * TLS; an SSO provider's issuer, discovery URL or endpoints) needs the secret again in the same call.
 */
export const SECRET_REENTRY_REQUIRED = SHARED_ERRORS.SECRETS_REENTRY_REQUIRED.code;

/** INVALID_INPUT `SECRETS.REENTRY_REQUIRED` with an issue at `path` (the secret's field). */
export function secretReentryRequired(message: string, path: string): HeliosError {
  return SHARED_ERRORS.SECRETS_REENTRY_REQUIRED({ message, path });
}

/** The options createHelios uses: the given ones, else the environment. */
export function resolveNetworkOptions(
  options: NetworkOptions | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Required<NetworkOptions> {
  const fromEnv = env[NETWORK_ENV]?.trim().toLowerCase();
  return {
    allowPrivateTargets: options?.allowPrivateTargets ?? (fromEnv === 'true' || fromEnv === '1'),
  };
}

/** The network options of a runtime (no private targets when the instance has none). */
export function networkOf(rt: {
  instance: { network?: Required<NetworkOptions> };
}): Required<NetworkOptions> {
  return rt.instance.network ?? { allowPrivateTargets: false };
}

/** What an address is, for the guard. */
export type AddressClass = 'public' | 'private' | 'loopback' | 'forbidden';

const forbidden = new BlockList();
const loopback = new BlockList();
const privateRanges = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['169.254.0.0', 16], // link-local, including 169.254.169.254 (AWS, GCP, Azure metadata)
  ['192.0.0.0', 24], // IETF protocol assignments, including 192.0.0.192 (Oracle Cloud metadata)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and 255.255.255.255
  ['100.100.100.200', 32], // Alibaba Cloud metadata
] as const)
  forbidden.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['::', 96], // IPv4-compatible (deprecated)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
  ['fd00:ec2::254', 128], // AWS metadata over IPv6
] as const)
  forbidden.addSubnet(net, bits, 'ipv6');
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
for (const [net, bits] of [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10], // carrier-grade NAT (cloud VPCs use it too)
  ['198.18.0.0', 15], // benchmarking
] as const)
  privateRanges.addSubnet(net, bits, 'ipv4');
privateRanges.addSubnet('fc00::', 7, 'ipv6'); // unique local

/** Host names of metadata services, refused whatever they resolve to. */
const FORBIDDEN_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.azure.internal',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** The IPv4 address embedded in an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) IPv6 address. */
function embeddedIpv4(address: string): string | null {
  const lower = address.toLowerCase();
  const match = /^(?:::ffff:(?:0:)?|64:ff9b::)(.+)$/.exec(lower);
  if (!match) return null;
  const rest = match[1]!;
  if (isIP(rest) === 4) return rest;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(rest);
  if (!hex) return null;
  const high = Number.parseInt(hex[1]!, 16);
  const low = Number.parseInt(hex[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * Classifies an IP address: `forbidden` (never reachable from request-supplied targets),
 * `loopback`, `private`, or `public`. Anything that is not an IP address is `forbidden`.
 */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return 'forbidden';
  if (family === 6) {
    // The compressed, lower-case form (as a URL writes it), so that an uncompressed literal such as
    // 64:ff9b:0:0:0:0:a9fe:a9fe is recognised like 64:ff9b::a9fe:a9fe.
    const v4 = embeddedIpv4(new URL(`http://[${bare}]/`).hostname.slice(1, -1));
    if (v4) return classifyAddress(v4);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  // Loopback first: ::1 lies inside the IPv4-compatible ::/96, which is forbidden otherwise.
  if (loopback.check(bare, type)) return 'loopback';
  if (forbidden.check(bare, type)) return 'forbidden';
  if (privateRanges.check(bare, type)) return 'private';
  return 'public';
}

function normalizeHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.+$/, '');
}

function refused(host: string, reason: string, path?: string): HeliosError {
  return SHARED_ERRORS.NETWORK_TARGET_NOT_ALLOWED({ host, reason, ...(path ? { path } : {}) });
}

function reasonFor(kind: AddressClass): string | null {
  if (kind === 'forbidden')
    return 'it is a link-local, metadata, unspecified, multicast or reserved address';
  if (kind === 'loopback' || kind === 'private') {
    return `it is a ${kind} address (allow private targets with the createHelios option network.allowPrivateTargets or ${NETWORK_ENV}=true)`;
  }
  return null;
}

function checkAddress(
  host: string,
  address: string,
  options: Required<NetworkOptions>,
  path?: string,
): void {
  const kind = classifyAddress(address);
  if (kind === 'public') return;
  if (kind !== 'forbidden' && options.allowPrivateTargets) return;
  throw refused(host, reasonFor(kind)!, path);
}

/**
 * Checks what can be checked without DNS (when a setting is saved): a metadata host name, or an IP
 * literal that is refused. Host names are resolved and checked again at connect time.
 *
 * @throws HeliosError INVALID_INPUT `NETWORK.TARGET_NOT_ALLOWED` (with an issue at `path`)
 */
export function assertHostAllowed(
  host: string,
  options: Required<NetworkOptions>,
  path?: string,
): void {
  const name = normalizeHost(host);
  if (FORBIDDEN_NAMES.has(name)) throw refused(name, 'it is a cloud metadata service', path);
  if (isIP(name.replace(/%.*$/, ''))) checkAddress(name, name, options, path);
  else if (name === 'localhost' || name.endsWith('.localhost'))
    checkAddress(name, '127.0.0.1', options, path);
}

/** As `assertHostAllowed`, for the host of an http(s) URL. */
export function assertUrlAllowed(
  url: string,
  options: Required<NetworkOptions>,
  path?: string,
): void {
  assertHostAllowed(new URL(url).hostname, options, path);
}

/**
 * Resolves `host` and checks every address it resolves to (an IP literal is checked as is).
 *
 * @throws HeliosError INVALID_INPUT `NETWORK.TARGET_NOT_ALLOWED`; the resolver's error when the name does not resolve
 */
export async function resolveAllowedHost(
  host: string,
  options: Required<NetworkOptions>,
): Promise<LookupAddress[]> {
  const name = normalizeHost(host);
  assertHostAllowed(name, options);
  const literal = isIP(name.replace(/%.*$/, ''));
  if (literal) return [{ address: name, family: literal }];
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) => {
    dnsLookup(name, { all: true, verbatim: true }, (error, found) =>
      error ? reject(error) : resolve(found),
    );
  });
  if (addresses.length === 0) throw refused(name, 'it does not resolve to any address');
  for (const a of addresses) checkAddress(name, a.address, options);
  return addresses;
}

/**
 * A `lookup` for sockets (net, http, https, tls) that resolves with `resolveAllowedHost`: the socket
 * connects only to an address that was checked.
 */
export function guardedLookup(options: Required<NetworkOptions>): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    resolveAllowedHost(hostname, options).then(
      (addresses) => {
        const family = typeof lookupOptions === 'object' ? lookupOptions.family : undefined;
        const wanted =
          family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
        if (wanted.length === 0) {
          callback(
            Object.assign(new Error(`${hostname} has no IPv${family} address`), {
              code: 'ENOTFOUND',
            }),
            '',
            0,
          );
          return;
        }
        if (typeof lookupOptions === 'object' && lookupOptions.all)
          (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, wanted);
        else callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** The answer of `guardedRequest`. */
export interface GuardedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as text (cut at `maxBytes`). */
  text: string;
  /** True when the body was longer than `maxBytes`. */
  truncated: boolean;
}

/** A request of `guardedRequest`. */
export interface GuardedRequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** The most body bytes read (default 1 MB). */
  maxBytes?: number;
  network: Required<NetworkOptions>;
}

/**
 * One HTTP(S) request to a request-supplied URL, through the guard: the host and every address it
 * resolves to are checked and the socket connects to a checked address. Redirects are not followed
 * (the 3xx is returned). Rejects with the guard's HeliosError, or the network error
 * (`name` `TimeoutError` on timeout).
 */
export async function guardedRequest(
  url: string,
  options: GuardedRequestOptions,
): Promise<GuardedResponse> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw refused(target.host, 'only http(s) URLs are fetched');
  // A literal IP never goes through `lookup`: check it here.
  assertHostAllowed(target.hostname, options.network);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const maxBytes = options.maxBytes ?? 1_000_000;
  return new Promise<GuardedResponse>((resolve, reject) => {
    const req = send(
      target,
      {
        method: options.method ?? 'GET',
        headers: {
          ...(options.headers ?? {}),
          ...(options.body !== undefined
            ? { 'content-length': String(Buffer.byteLength(options.body)) }
            : {}),
        },
        lookup: guardedLookup(options.network),
        agent: false,
        timeout: options.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        res.on('data', (chunk: Buffer) => {
          if (truncated) return;
          size += chunk.length;
          if (size > maxBytes) {
            truncated = true;
            res.destroy();
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
              truncated,
            });
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
            truncated,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => {
      const error = new Error(`The request to ${target.host} timed out`);
      error.name = 'TimeoutError';
      req.destroy(error);
    });
    req.on('error', (error) => {
      // The guard's refusal comes back through lookup wrapped as a socket error: give it as is.
      reject(error);
    });
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}
