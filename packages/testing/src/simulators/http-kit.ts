/**
 * The HTTP kit of the simulators (Google Directory, Microsoft Graph, OIDC): JSON and error replies,
 * request bodies with a size limit, path and header helpers, a deterministic PRNG, injected faults
 * (drawing and the `timeout`/`reset` socket faults), fixed-window budgets, and starting/closing a
 * server on 127.0.0.1. Each simulator keeps its own wire details (headers, envelopes, routes).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// --- errors ----------------------------------------------------------------------------------------

/** An error a simulator answers with an HTTP status (its envelope is the simulator's own). */
export class SimulatorHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

// --- values ----------------------------------------------------------------------------------------

/** A value as a lower-case string (`''` for null and undefined). */
export const lower = (s: unknown): string => String(s ?? '').toLowerCase();

/** Whether a parsed JSON value is an object (not null, not an array). */
export const isObject = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

// --- replies ---------------------------------------------------------------------------------------

/** Sends `body` as JSON with its length: `content-type` (default `application/json; charset=utf-8`), then `headers`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json; charset=utf-8',
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

// --- requests --------------------------------------------------------------------------------------

/** The request URL (the host is irrelevant: the simulators only listen on 127.0.0.1). */
export function requestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://127.0.0.1');
}

/** The request method in upper case (GET when absent). */
export function requestMethod(req: IncomingMessage): string {
  return (req.method ?? 'GET').toUpperCase();
}

/**
 * Reads the request body as UTF-8. Past `limit` bytes (default: no limit) the error of `tooLarge`
 * is thrown.
 */
export async function readBody(
  req: IncomingMessage,
  limit = Number.POSITIVE_INFINITY,
  tooLarge?: () => Error,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge ? tooLarge() : new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON request body: `{ value }`, or undefined when it is not valid JSON. */
export function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** The request headers, with repeated ones joined by `, `. */
export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return headers;
}

/** The decoded non-empty segments of a path; undefined when one is not valid percent-encoding. */
export function pathSegments(path: string): string[] | undefined {
  try {
    return path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
}

/** Waits `ms` milliseconds (the simulators' `latencyMs`); nothing when 0 or absent. */
export async function latency(ms: number | undefined): Promise<void> {
  if (ms) await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Per-route request counters (`byRoute`). */
export function countRoute(byRoute: Record<string, number>, name: string): void {
  byRoute[name] = (byRoute[name] ?? 0) + 1;
}

// --- randomness, faults, budgets ---------------------------------------------------------------------

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The `faults` option of a simulator. */
export interface FaultOptions<K extends string> {
  rate?: number;
  kinds?: K[];
  seed?: number;
  retryAfterSeconds?: number;
}

/**
 * Injected faults: each call fails with probability `rate`, with a kind drawn from `kinds`; the
 * draws are deterministic from `seed` and restart when the configuration is replaced.
 */
export class FaultPlan<K extends string> {
  private config: { rate: number; kinds: K[]; retryAfter: number; random: () => number } | null =
    null;

  constructor(private readonly defaults: K[]) {}

  /** Replaces the configuration (null: no faults). */
  set(f: FaultOptions<K> | null | undefined): void {
    this.config = f
      ? {
          rate: Math.min(1, Math.max(0, f.rate ?? 0)),
          kinds: f.kinds?.length ? [...f.kinds] : this.defaults,
          retryAfter: f.retryAfterSeconds ?? 1,
          random: prng(f.seed ?? 1),
        }
      : null;
  }

  /** The fault for this call, or null. */
  draw(): K | null {
    const f = this.config;
    if (!f || f.rate <= 0) return null;
    if (f.random() >= f.rate) return null;
    return f.kinds[Math.floor(f.random() * f.kinds.length)]!;
  }

  /** The `Retry-After` seconds of throttling faults, as a header value. */
  get retryAfter(): string {
    return String(this.config?.retryAfter ?? 1);
  }
}

/** Responses held open by the `timeout` fault, destroyed when the server closes. */
export class HeldResponses {
  private readonly held = new Set<ServerResponse>();

  /** Holds a response unanswered (up to 30 s, then drops the socket). */
  hold(res: ServerResponse): void {
    this.held.add(res);
    const timer = setTimeout(() => res.destroy(), 30_000);
    timer.unref();
    res.on('close', () => {
      clearTimeout(timer);
      this.held.delete(res);
    });
  }

  /** Drops every held response. */
  destroyAll(): void {
    for (const res of this.held) res.destroy();
    this.held.clear();
  }
}

/** The `reset` fault: sends the headers and the start of a body (`partial`), then resets the connection. */
export function sendPartialThenReset(
  res: ServerResponse,
  contentType: string,
  partial: string,
): void {
  res.writeHead(200, { 'content-type': contentType, 'content-length': '65536' });
  res.write(partial, () => {
    const socket = res.socket as
      | (NonNullable<typeof res.socket> & { resetAndDestroy?: () => void })
      | null;
    if (socket?.resetAndDestroy) socket.resetAndDestroy();
    else socket?.destroy();
  });
}

/** A fixed-window budget: `limit` units per `windowMs`, the window restarting when it has passed. */
export class FixedWindow {
  start = Date.now();
  used = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Starts the current window if the previous one has passed (windows are aligned on the first). */
  roll(now: number): void {
    if (now - this.start >= this.windowMs) {
      this.start += Math.floor((now - this.start) / this.windowMs) * this.windowMs;
      this.used = 0;
    }
  }

  /** Whole seconds (at least 1) until the current window ends. */
  secondsLeft(now: number): number {
    return Math.max(1, Math.ceil((this.start + this.windowMs - now) / 1000));
  }
}

// --- server ------------------------------------------------------------------------------------------

/** A server listening on 127.0.0.1. */
export interface RunningServer {
  server: Server;
  port: number;
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  origin: string;
  /** Drops held responses and open connections, then closes. */
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 (`port` 0: any free port). A rejected `handle` goes to `onError`
 * (which answers, or drops the socket when the headers were sent).
 */
export async function startServer(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>,
  onError: (error: unknown, res: ServerResponse) => void,
  port = 0,
  held?: HeldResponses,
): Promise<RunningServer> {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => onError(error, res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    port: address.port,
    origin: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        held?.destroyAll();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
