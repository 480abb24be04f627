/**
 * The in-process job queue of the embedded database (PGlite has one connection and one process):
 * the same semantics as graphile-worker's queue (job keys replace a waiting job, run-at, priority,
 * retries with e^attempts seconds of backoff, max attempts, failed jobs kept with their error,
 * cron) on the Helios clock. Jobs live in memory: queued jobs do not survive a restart.
 */
import { hostname } from 'node:os';
import type { ParsedCronItem } from 'graphile-worker';
import type { Clock } from '../../shared/clock';
import {
  backoffMs,
  type FailedJob,
  type JobBackend,
  type JobExecutor,
  type NewJob,
  type QueueSnapshot,
  type WorkerPlan,
} from './jobs.backend';
import type { LiveWorker } from './jobs.liveness';

interface MemoryJob {
  id: string;
  seq: number;
  task: string;
  payload: unknown;
  key: string | null;
  runAt: number;
  priority: number;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  lockedAt: number | null;
  updatedAt: number;
}

/** How long an idle worker sleeps at most before looking again (jobs can become due as the clock moves). */
const IDLE_POLL_MS = 1000;

/** The in-process queue on `clock`. */
export function createMemoryBackend(clock: Clock): JobBackend {
  const jobs = new Map<string, MemoryJob>();
  let seq = 0;
  let running: {
    plan: WorkerPlan;
    loops: Promise<void>[];
    timers: Set<ReturnType<typeof setTimeout>>;
    wake: Set<() => void>;
    startedAt: Date;
  } | null = null;
  let stopping = false;
  const now = () => clock.now().getTime();
  const inFlight = new Set<Promise<void>>();

  const wakeAll = () => {
    if (!running) return;
    for (const wake of [...running.wake]) wake();
  };

  const enqueueNow = (job: NewJob): string => {
    const at = now();
    if (job.key !== null) {
      const existing = [...jobs.values()].find((j) => j.key === job.key);
      if (existing && existing.lockedAt === null) {
        // graphile-worker's `replace`: a waiting (or failed) job takes the new attributes and starts over.
        Object.assign(existing, {
          task: job.task,
          payload: job.payload,
          runAt: job.runAt ? job.runAt.getTime() : at,
          priority: job.priority,
          maxAttempts: job.maxAttempts,
          attempts: 0,
          lastError: null,
          updatedAt: at,
        });
        wakeAll();
        return existing.id;
      }
      if (existing) {
        // Running now: it keeps running but loses its key and any retry; the new job is queued.
        existing.key = null;
        existing.maxAttempts = existing.attempts;
      }
    }
    seq += 1;
    const id = String(seq);
    jobs.set(id, {
      id,
      seq,
      task: job.task,
      payload: job.payload,
      key: job.key,
      runAt: job.runAt ? job.runAt.getTime() : at,
      priority: job.priority,
      attempts: 0,
      maxAttempts: job.maxAttempts,
      lastError: null,
      lockedAt: null,
      updatedAt: at,
    });
    wakeAll();
    return id;
  };

  const pick = (taskNames: ReadonlySet<string>): MemoryJob | null => {
    const at = now();
    let best: MemoryJob | null = null;
    for (const job of jobs.values()) {
      if (
        job.lockedAt !== null ||
        job.attempts >= job.maxAttempts ||
        job.runAt > at ||
        !taskNames.has(job.task)
      )
        continue;
      if (
        !best ||
        job.priority < best.priority ||
        (job.priority === best.priority &&
          (job.runAt < best.runAt || (job.runAt === best.runAt && job.seq < best.seq)))
      )
        best = job;
    }
    if (best) {
      best.attempts += 1;
      best.lockedAt = at;
    }
    return best;
  };

  const runJob = async (job: MemoryJob, execute: JobExecutor): Promise<void> => {
    try {
      await execute({
        id: job.id,
        task: job.task,
        payload: job.payload,
        key: job.key,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
      });
      jobs.delete(job.id);
    } catch (error) {
      const at = now();
      job.lastError = error instanceof Error ? error.message : String(error);
      job.lockedAt = null;
      job.updatedAt = at;
      job.runAt = Math.max(at, job.runAt) + backoffMs(job.attempts);
    }
  };

  const track = (p: Promise<void>) => {
    inFlight.add(p);
    return p.finally(() => inFlight.delete(p));
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const state = running;
      if (!state) return resolve();
      const done = () => {
        clearTimeout(timer);
        state.timers.delete(timer);
        state.wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      state.timers.add(timer);
      state.wake.add(done);
    });

  const loop = async (plan: WorkerPlan, names: ReadonlySet<string>) => {
    while (!stopping) {
      const job = pick(names);
      if (job) {
        await track(runJob(job, plan.execute));
        continue;
      }
      await sleep(IDLE_POLL_MS);
    }
  };

  // Cron: at each minute boundary (by the clock), queue the items that match that minute once.
  const cronLoop = async (items: ParsedCronItem[]) => {
    const fired = new Map<string, number>();
    while (!stopping) {
      const at = new Date(now());
      at.setUTCSeconds(0, 0);
      const minute = at.getTime();
      const digest = {
        min: at.getUTCMinutes(),
        hour: at.getUTCHours(),
        date: at.getUTCDate(),
        month: at.getUTCMonth() + 1,
        dow: at.getUTCDay(),
      };
      for (const item of items) {
        if (fired.get(item.identifier) === minute || !item.match(digest)) continue;
        fired.set(item.identifier, minute);
        enqueueNow({
          task: item.task,
          payload: { ...(item.payload ?? {}), _cron: { ts: at.toISOString() } },
          key: item.options.jobKey ?? null,
          runAt: null,
          priority: item.options.priority ?? 0,
          maxAttempts: item.options.maxAttempts ?? 25,
        });
      }
      await sleep(Math.min(IDLE_POLL_MS * 15, Math.max(50, minute + 60_000 - now())));
    }
  };

  return {
    kind: 'in-process',
    async enqueue(_db, job) {
      return enqueueNow(job);
    },
    async enqueueMany(_db, list) {
      return list.map((job) => enqueueNow(job));
    },
    async start(plan) {
      if (running) return;
      stopping = false;
      running = { plan, loops: [], timers: new Set(), wake: new Set(), startedAt: new Date(now()) };
      const names = new Set(plan.taskNames);
      const state = running;
      for (let i = 0; i < plan.concurrency; i++) state.loops.push(loop(plan, names));
      if (plan.cron.length > 0) state.loops.push(cronLoop(plan.cron));
    },
    async stop() {
      if (!running) return;
      stopping = true;
      const state = running;
      for (const timer of state.timers) clearTimeout(timer);
      wakeAll();
      await Promise.all(state.loops);
      running = null;
      stopping = false;
    },
    async runOnce(plan) {
      const names = new Set(plan.taskNames);
      for (let job = pick(names); job; job = pick(names)) await track(runJob(job, plan.execute));
    },
    async snapshot(failureLimit): Promise<QueueSnapshot> {
      const at = now();
      const counts = { queued: 0, scheduled: 0, running: 0, failed: 0 };
      const failed: MemoryJob[] = [];
      for (const job of jobs.values()) {
        if (job.lockedAt !== null) counts.running += 1;
        else if (job.attempts >= job.maxAttempts) {
          counts.failed += 1;
          failed.push(job);
        } else if (job.runAt > at) counts.scheduled += 1;
        else counts.queued += 1;
      }
      const failures: FailedJob[] = failed
        .sort((a, b) => b.updatedAt - a.updatedAt || b.seq - a.seq)
        .slice(0, failureLimit)
        .map((j) => ({
          id: j.id,
          task: j.task,
          key: j.key,
          attempts: j.attempts,
          maxAttempts: j.maxAttempts,
          lastError: j.lastError,
          failedAt: new Date(j.updatedAt),
        }));
      const workers: LiveWorker[] = running
        ? [
            {
              id: 0,
              hostname: hostname(),
              pid: process.pid,
              concurrency: running.plan.concurrency,
              poolIds: [],
              startedAt: running.startedAt,
              lastSeenAt: new Date(at),
              self: true,
            },
          ]
        : [];
      return { ...counts, failures, workers };
    },
    async close() {
      await this.stop();
      await Promise.all(inFlight);
    },
  };
}
