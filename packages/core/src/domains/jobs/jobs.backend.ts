/**
 * The contract both job backends implement: graphile-worker on PostgreSQL (many processes share
 * one queue, exactly once) and the in-process queue of the embedded database (one process).
 */

import type { ParsedCronItem } from 'graphile-worker';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { LiveWorker } from './jobs.liveness';

/** A job to queue (the options already resolved against the task's defaults). */
export interface NewJob {
  task: string;
  payload: unknown;
  key: string | null;
  /** Null: now. */
  runAt: Date | null;
  priority: number;
  maxAttempts: number;
}

/** A job handed to the executor for one attempt. */
export interface RunnableJob {
  id: string;
  task: string;
  payload: unknown;
  key: string | null;
  /** This attempt's number, from 1. */
  attempt: number;
  maxAttempts: number;
}

/** Runs one attempt; throws to fail it. */
export type JobExecutor = (job: RunnableJob) => Promise<void>;

/** A job out of attempts. */
export interface FailedJob {
  id: string;
  task: string;
  key: string | null;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  /** When it last changed (its last failure). */
  failedAt: Date | null;
}

/** Counts of the queue. */
export interface QueueSnapshot {
  /** Due and waiting for a worker. */
  queued: number;
  /** Waiting for their run time (future `runAt`, or a retry's backoff). */
  scheduled: number;
  /** Locked by a worker now. */
  running: number;
  /** Out of attempts (kept with their last error). */
  failed: number;
  /** The most recent failed jobs, newest first. */
  failures: FailedJob[];
  /** The live worker processes (PostgreSQL: every registered process; in process: this one while it runs). */
  workers: LiveWorker[];
}

/** What the worker runs: tasks by name and cron items. */
export interface WorkerPlan {
  concurrency: number;
  taskNames: string[];
  cron: ParsedCronItem[];
  execute: JobExecutor;
  /** Called when the worker ends on its own (a fatal error: the database went away for good). */
  onFatal?: (error: unknown) => void;
}

/** One job backend. */
export interface JobBackend {
  readonly kind: 'postgres' | 'in-process';
  /** Queues a job; on PostgreSQL, in `db`'s transaction when it is one. Returns the job's id. */
  enqueue(db: Kysely<Database>, job: NewJob): Promise<string>;
  /** Queues jobs as `enqueue` would one by one (PostgreSQL: one statement); their ids in order. */
  enqueueMany(db: Kysely<Database>, jobs: NewJob[]): Promise<string[]>;
  /** Starts the worker. */
  start(plan: WorkerPlan): Promise<void>;
  /** Stops taking jobs and waits for the ones in flight (they finish, or are released for a retry). */
  stop(): Promise<void>;
  /** Runs every due job in this process, one at a time, until none is due (no cron). */
  runOnce(plan: Omit<WorkerPlan, 'concurrency' | 'cron'>): Promise<void>;
  /** The queue's counts and recent failures. */
  snapshot(failureLimit: number): Promise<QueueSnapshot>;
  /** Stops the worker and releases connections. */
  close(): Promise<void>;
}

/** graphile-worker's backoff: the delay after the `attempts`-th failed attempt (e^min(attempts,10) seconds). */
export function backoffMs(attempts: number): number {
  return Math.exp(Math.min(attempts, 10)) * 1000;
}
