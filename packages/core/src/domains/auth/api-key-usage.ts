/**
 * The per-instance state of API keys, kept off the request path:
 *
 * - the usage recorder: `authenticate` queues one entry per use (and misuse security events) in
 *   memory; a timer flushes the queue about every second, or at once when 500 entries wait, with
 *   multi-row inserts and one `UPDATE` for the keys' `usage_count` / `last_used_at`. Values are
 *   sanitised first (NUL characters stripped, invalid UTF-16 replaced, lengths cut to the columns).
 *   When a batch fails, its rows are retried one by one and only the rows that still fail are
 *   dropped, each with a log line. Flush errors are logged, never thrown; `close()` (run by
 *   `helios.close()`, which the server runs on SIGTERM/SIGINT) flushes what is left. What is queued
 *   when the process dies without closing (about one flush interval of usage) is lost. The queue is
 *   capped (`maxQueue`): beyond it the oldest entries are dropped, counted in one warning per flush.
 * - the rate limiter: a token bucket per key, refilled at `rate_limit_per_minute` per minute. It
 *   lives in this process: with several server processes each one allows the full rate.
 * - the misuse throttle: at most one security event per key and kind of misuse a minute, so a
 *   client hammering with a revoked key cannot flood `security_events` (every attempt is still in
 *   `api_key_usage_logs`).
 */
import { type Insertable, type Kysely, sql } from 'kysely';
import type { Database, SecurityEvents } from '../../db/database.generated';
import type { Logger } from '../../shared/logger';

/** One use of an API key, as queued by `authenticate`. */
export interface ApiKeyUsageEntry {
  apiKeyId: string;
  /** The path called ('' when unknown). */
  endpoint: string;
  /** The HTTP method ('' when unknown). */
  method: string;
  /** The refusal's HTTP-equivalent status (401, 403, 429), or null when the key was accepted. */
  statusCode: number | null;
  /** A valid IP address, or null. */
  ipAddress: string | null;
  userAgent: string | null;
  at: Date;
}

/** Queues usage and security events and writes them in batches. */
export interface ApiKeyUsageRecorder {
  /** Queues one use (never blocks, never throws). */
  record(entry: ApiKeyUsageEntry): void;
  /** Queues one `security_events` row (never blocks, never throws). */
  recordEvent(row: Insertable<SecurityEvents>): void;
  /** Writes everything queued so far; resolves when written (or when the failure was logged). */
  flush(): Promise<void>;
  /** Stops the timer and flushes; later entries are dropped. */
  close(): Promise<void>;
  /** Entries waiting to be written. */
  readonly pending: number;
}

/** Options of `createApiKeyUsageRecorder`. */
export interface ApiKeyUsageRecorderOptions {
  /** The root db handle (never a transaction). */
  db: Kysely<Database>;
  logger: Logger;
  /** Delay between the first queued entry and the flush (default 1000 ms). */
  flushIntervalMs?: number;
  /** Flush at once when this many entries wait; also the size of one insert (default 500). */
  maxBatch?: number;
  /** At most this many entries wait; beyond it the oldest are dropped, with a counted warning (default 20,000). */
  maxQueue?: number;
}

const errorFields = (error: unknown) => ({
  error: error instanceof Error ? error.message : String(error),
});

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Lone surrogates replaced with U+FFFD (String.prototype.toWellFormed, which the ES2022 lib lacks). */
function wellFormed(value: string): string {
  return value.replace(LONE_SURROGATE, '\uFFFD');
}

/** A string PostgreSQL text accepts: NUL characters removed, lone surrogates replaced, at most `max` characters. */
export function sanitizeText(value: string, max?: number): string {
  let out = value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
  out = wellFormed(out);
  if (max !== undefined && out.length > max) out = wellFormed(out.slice(0, max));
  return out;
}

/** Sanitises every string in a JSON-like value (object keys too). */
function sanitizeDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return sanitizeText(value);
  if (value === null || typeof value !== 'object' || depth > 20 || value instanceof Date)
    return value;
  if (Array.isArray(value)) return value.map((v) => sanitizeDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    Object.defineProperty(out, sanitizeText(k), {
      value: sanitizeDeep(v, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

function sanitizeEntry(e: ApiKeyUsageEntry): ApiKeyUsageEntry {
  return {
    ...e,
    endpoint: sanitizeText(e.endpoint ?? '', 255),
    method: sanitizeText(e.method ?? '', 10),
    userAgent: e.userAgent === null ? null : sanitizeText(e.userAgent),
  };
}

/** Builds the usage recorder (one per Helios instance: see `rt.singleton`). */
export function createApiKeyUsageRecorder(
  options: ApiKeyUsageRecorderOptions,
): ApiKeyUsageRecorder {
  const { db, logger } = options;
  const interval = options.flushIntervalMs ?? 1000;
  const maxBatch = options.maxBatch ?? 500;
  const maxQueue = options.maxQueue ?? 20_000;
  const usage: ApiKeyUsageEntry[] = [];
  const events: Insertable<SecurityEvents>[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  let dropped = 0;
  let tail: Promise<void> = Promise.resolve();
  let queued: Promise<void> | null = null;

  const writeUsage = async (batch: ApiKeyUsageEntry[]) => {
    const perKey = new Map<string, { n: number; at: Date }>();
    for (const e of batch) {
      const seen = perKey.get(e.apiKeyId);
      if (!seen) perKey.set(e.apiKeyId, { n: 1, at: e.at });
      else {
        seen.n += 1;
        if (e.at > seen.at) seen.at = e.at;
      }
    }
    const values = [...perKey].map(
      ([id, { n, at }]) => sql`(${id}::uuid, ${n}::int, ${at}::timestamptz)`,
    );
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto('api_key_usage_logs')
        .values(
          batch.map((e) => ({
            api_key_id: e.apiKeyId,
            endpoint: e.endpoint,
            method: e.method,
            status_code: e.statusCode,
            ip_address: e.ipAddress,
            user_agent: e.userAgent,
            created_at: e.at,
          })),
        )
        .execute();
      await sql`update api_keys as k
           set usage_count = coalesce(k.usage_count, 0) + v.n,
               last_used_at = greatest(k.last_used_at, v.at)
          from (values ${sql.join(values)}) as v(id, n, at)
         where k.id = v.id`.execute(tx);
    });
  };

  /**
   * Writes a batch; when it fails, retries its rows one by one so a bad row costs only itself.
   * Each row that still fails is dropped with one log line (no values, only what identifies it).
   */
  const writeEach = async <T>(
    batch: T[],
    write: (rows: T[]) => Promise<void>,
    message: string,
    describe: (row: T) => Record<string, unknown>,
  ) => {
    try {
      await write(batch);
      return;
    } catch (error) {
      if (batch.length === 1) {
        logger.error(message, { ...errorFields(error), entries: 1, ...describe(batch[0]!) });
        return;
      }
    }
    for (const row of batch) {
      try {
        await write([row]);
      } catch (error) {
        logger.error(message, { ...errorFields(error), entries: 1, ...describe(row) });
      }
    }
  };

  const drain = async () => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    while (usage.length > 0 || events.length > 0) {
      const batch = usage.splice(0, maxBatch);
      const eventBatch = events.splice(0, maxBatch);
      if (batch.length > 0) {
        await writeEach(batch, writeUsage, 'API key usage could not be recorded', (e) => ({
          apiKeyId: e.apiKeyId,
        }));
      }
      if (eventBatch.length > 0) {
        await writeEach(
          eventBatch,
          async (rows) => {
            await db.insertInto('security_events').values(rows).execute();
          },
          'API key security events could not be recorded',
          (row) => ({ eventType: row.event_type }),
        );
      }
    }
    if (dropped > 0) {
      logger.warn(
        'API key usage entries were dropped: the queue was full (the oldest went first)',
        { dropped },
      );
      dropped = 0;
    }
  };

  const flush = (): Promise<void> => {
    if (queued) return queued;
    const run = tail.then(() => {
      queued = null;
      return drain();
    });
    queued = run;
    tail = run;
    return run;
  };

  const schedule = () => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = null;
      void flush();
    }, interval);
    timer.unref?.();
  };

  const enqueue = <T>(queue: T[], item: T) => {
    if (closed) return;
    if (usage.length + events.length >= maxQueue) {
      // Drop the oldest waiting entry (usage before security events), keep the new one.
      if (usage.length > 0) usage.shift();
      else events.shift();
      dropped += 1;
    }
    queue.push(item);
    if (queue.length >= maxBatch) void flush();
    else schedule();
  };

  return {
    record: (entry) => enqueue(usage, sanitizeEntry(entry)),
    recordEvent: (row) => enqueue(events, sanitizeDeep(row) as Insertable<SecurityEvents>),
    flush,
    close: async () => {
      closed = true;
      await flush();
    },
    get pending() {
      return usage.length + events.length;
    },
  };
}

/** The outcome of taking a token. */
export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Per-key token buckets (in this process only). */
export interface ApiKeyRateLimiter {
  /** Takes one request from `key`'s bucket of `limitPerMinute`, at `nowMs`. */
  take(key: string, limitPerMinute: number, nowMs: number): RateLimitDecision;
  /** Forgets a key's bucket (after a change of its limit, say). */
  reset(key: string): void;
}

const MINUTE = 60_000;

/** Builds a rate limiter holding at most `maxKeys` buckets (idle full ones are evicted first). */
export function createApiKeyRateLimiter(maxKeys = 10_000): ApiKeyRateLimiter {
  const buckets = new Map<string, { tokens: number; last: number; limit: number }>();
  const evict = (nowMs: number) => {
    for (const [key, b] of buckets) if (nowMs - b.last >= MINUTE) buckets.delete(key);
    while (buckets.size >= maxKeys) {
      const oldest = buckets.keys().next();
      if (oldest.done) break;
      buckets.delete(oldest.value);
    }
  };
  return {
    take(key, limitPerMinute, nowMs) {
      const limit = Math.max(1, Math.floor(limitPerMinute));
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxKeys) evict(nowMs);
        b = { tokens: limit, last: nowMs, limit };
        buckets.set(key, b);
      } else {
        const elapsed = Math.max(0, nowMs - b.last);
        b.tokens = Math.min(limit, b.tokens + (elapsed * limit) / MINUTE);
        b.last = Math.max(b.last, nowMs);
        b.limit = limit;
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { allowed: true };
      }
      const waitMs = ((1 - b.tokens) * MINUTE) / limit;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    },
    reset(key) {
      buckets.delete(key);
    },
  };
}

/** Lets one report per key and kind through per `windowMs` (default a minute). */
export interface MisuseThrottle {
  /** True when this misuse should be reported now. */
  shouldReport(keyId: string, kind: string, nowMs: number): boolean;
}

/** Builds a misuse throttle remembering at most `maxEntries` (key, kind) pairs. */
export function createMisuseThrottle(windowMs = MINUTE, maxEntries = 10_000): MisuseThrottle {
  const last = new Map<string, number>();
  return {
    shouldReport(keyId, kind, nowMs) {
      const id = `${keyId}|${kind}`;
      const at = last.get(id);
      if (at !== undefined && nowMs - at < windowMs && nowMs >= at) return false;
      if (last.size >= maxEntries) {
        for (const [k, t] of last) if (nowMs - t >= windowMs) last.delete(k);
        if (last.size >= maxEntries) last.clear();
      }
      last.delete(id);
      last.set(id, nowMs);
      return true;
    },
  };
}

/** Everything API keys keep per Helios instance. */
export interface ApiKeyRuntimeState {
  usage: ApiKeyUsageRecorder;
  limiter: ApiKeyRateLimiter;
  misuse: MisuseThrottle;
  /** Flushes the usage queue (run by `helios.close()`). */
  close(): Promise<void>;
}

/** Builds the per-instance state of API keys. */
export function createApiKeyRuntimeState(db: Kysely<Database>, logger: Logger): ApiKeyRuntimeState {
  const usage = createApiKeyUsageRecorder({ db, logger });
  return {
    usage,
    limiter: createApiKeyRateLimiter(),
    misuse: createMisuseThrottle(),
    close: () => usage.close(),
  };
}
