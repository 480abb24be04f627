// Measuring one directory sync (Google Workspace, Microsoft 365) inside its child process: every SQL
// statement through the Kysely `log` callback, by phase (fetch + stage, plan, apply, finish, from the
// sync's onProgress), every HTTP call through a fetch wrapper, and the process memory; then the
// figures the parent's report reads.

import pg from 'pg';
import { fmt, seconds, table } from './report.mjs';

/** The total length of the union of [start, end] intervals, clipped to [from, to]. */
export const union = (
  intervals,
  from = Number.NEGATIVE_INFINITY,
  to = Number.POSITIVE_INFINITY,
) => {
  const clipped = intervals
    .map(([a, b]) => [Math.max(a, from), Math.min(b, to)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let start = Number.NEGATIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const [a, b] of clipped) {
    if (a > end) {
      if (end > start) total += end - start;
      start = a;
      end = b;
    } else if (b > end) end = b;
  }
  if (end > start) total += end - start;
  return total;
};

/** A statement's family: the SQL with its whitespace collapsed, cut after 90 characters. */
export const statementKey = (text) => text.replace(/\s+/g, ' ').trim().slice(0, 90);

/**
 * A fetch that calls `inner`, reads the whole body (handed back as a new Response) and pushes the
 * call's [start, end] (performance.now()) onto `intervals`, failed calls included.
 */
export const timedFetch = (inner, intervals) => async (input, init) => {
  const start = performance.now();
  try {
    const res = await inner(input, init);
    const body = await res.arrayBuffer();
    return new Response(res.status === 204 || res.status === 304 ? null : body, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  } finally {
    intervals.push([start, performance.now()]);
  }
};

/**
 * Samples the V8 heap and the RSS every `everyMs` from now on; `stop()` ends it and returns the peaks
 * in MB, the RSS at the start, and the process maxRSS in KB.
 */
export function memorySampler(everyMs = 50) {
  const rssBefore = process.memoryUsage.rss();
  let rssSampled = rssBefore;
  let heapSampled = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    rssSampled = Math.max(rssSampled, m.rss);
    heapSampled = Math.max(heapSampled, m.heapUsed);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      rssSampled = Math.max(rssSampled, process.memoryUsage.rss());
      return {
        maxRssKb: process.resourceUsage().maxRSS,
        rssSampledMb: rssSampled / 2 ** 20,
        rssBeforeMb: rssBefore / 2 ** 20,
        heapSampledMb: heapSampled / 2 ** 20,
      };
    },
  };
}

/**
 * The statements of one sync: pass `log` to Kysely and `onProgress` to the sync, and make the call
 * through `time`. Only statements seen during `time` count. A family's `ms` is its share of the union:
 * the part of each statement's interval after the previous statement ended (statements queued behind
 * another one on the run's connection are not counted twice).
 */
export function syncRecorder() {
  const rec = {
    on: false,
    phase: 'stage',
    statements: 0,
    errors: 0,
    db: [],
    lastEnd: 0,
    byKey: new Map(),
    byPhase: {},
  };
  const log = (event) => {
    if (!rec.on) return;
    const end = performance.now();
    const ms = event.queryDurationMillis;
    const own = Math.max(0, end - Math.max(end - ms, rec.lastEnd));
    rec.lastEnd = end;
    rec.statements += 1;
    if (event.level === 'error') rec.errors += 1;
    rec.db.push([end - ms, end]);
    rec.byPhase[rec.phase] = (rec.byPhase[rec.phase] ?? 0) + 1;
    const key = `${rec.phase}: ${statementKey(event.query.sql)}`;
    const k = rec.byKey.get(key) ?? { count: 0, ms: 0, maxMs: 0 };
    k.count += 1;
    k.ms += own;
    k.maxMs = Math.max(k.maxMs, own);
    rec.byKey.set(key, k);
  };

  const marks = {};
  const onProgress = (p) => {
    const now = performance.now();
    if (p.phase === 'plan' && p.done === 0) {
      marks.plan = now;
      rec.phase = 'plan';
    } else if (p.phase === 'apply' && p.done === 0) {
      marks.apply = now;
      rec.phase = 'apply';
    } else if (p.phase === 'apply' && p.done === 1) {
      marks.applied = now;
      rec.phase = 'finish';
    }
  };

  let t0 = 0;
  let t1 = 0;
  return {
    log,
    onProgress,
    /** The [start, end] interval of every statement seen. */
    db: rec.db,
    /** When the timed call started (performance.now()). */
    get startedAt() {
      return t0;
    },
    /** Awaits `call()` with the log on and returns its result. */
    async time(call) {
      rec.on = true;
      t0 = performance.now();
      const result = await call();
      t1 = performance.now();
      rec.on = false;
      return result;
    },
    /**
     * The figures of the timed call, with `fetches` (its HTTP [start, end] intervals): wall, database
     * and HTTP time in all and per phase, statements in all, failed and per phase, and the 12 statement
     * families with the most database time (`top`).
     */
    summary(fetches) {
      const planAt = marks.plan ?? t1;
      const applyAt = marks.apply ?? t1;
      const appliedAt = marks.applied ?? t1;
      const top = [...rec.byKey.entries()]
        .map(([key, v]) => ({ key, ...v }))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 12);
      return {
        wallMs: t1 - t0,
        statements: rec.statements,
        statementErrors: rec.errors,
        statementsByPhase: rec.byPhase,
        dbMs: union(rec.db),
        fetchMs: union(fetches),
        stage: {
          wallMs: planAt - t0,
          dbMs: union(rec.db, t0, planAt),
          fetchMs: union(fetches, t0, planAt),
        },
        plan: { wallMs: applyAt - planAt, dbMs: union(rec.db, planAt, applyAt) },
        apply: { wallMs: appliedAt - applyAt, dbMs: union(rec.db, applyAt, appliedAt) },
        top,
      };
    },
  };
}

/**
 * A Kysely handle on `connectionString` (a pool of 10, pool errors ignored) whose statements go to a
 * new `syncRecorder`; returns both.
 */
export async function recordedKysely(connectionString) {
  const { Kysely, PostgresDialect } = await import('kysely');
  const pool = new pg.Pool({ connectionString, max: 10 });
  pool.on('error', () => {});
  const recorder = syncRecorder();
  return {
    db: new Kysely({ dialect: new PostgresDialect({ pool }), log: recorder.log }),
    recorder,
  };
}

/** The report's table of statement families (`top` of a summary), the first `n` of them. */
export const topStatementsTable = (top, n) =>
  table(
    ['statement (phase: first 90 characters)', 'count', 'total s', 'max s'],
    top.slice(0, n).map((t) => [t.key, String(t.count), fmt(seconds(t.ms)), fmt(seconds(t.maxMs))]),
  );
