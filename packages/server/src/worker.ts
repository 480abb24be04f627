/**
 * A job worker without the HTTP server (`helios worker`): N API servers started with
 * HELIOS_WORKER=off and M workers share one PostgreSQL database; each job runs exactly once.
 */
import {
  type AnyTaskDefinition,
  createHelios,
  type Helios,
  type IntegrationOptions,
  integrationOptionsFromEnv,
  JOBS_ERRORS,
  type Logger,
  resolveEncryptionKey,
} from '@helios/core';

/** Options of `startWorker`. */
export interface WorkerOptions {
  /** PostgreSQL URL (a separate worker process needs PostgreSQL). */
  databaseUrl: string | null | undefined;
  /** Jobs run at once in this process (default 4). */
  concurrency?: number;
  /** The tasks this worker runs. */
  tasks?: readonly AnyTaskDefinition[];
  logger?: Logger;
  /** Default: HELIOS_ENCRYPTION_KEY (and friends) from the environment, as the server reads them. */
  env?: NodeJS.ProcessEnv;
  /** Default: from the environment, as the server reads them. */
  integrations?: IntegrationOptions;
}

/** A running worker process. */
export interface RunningWorker {
  helios: Helios;
  concurrency: number;
  /** Stops taking jobs, waits for the ones in flight, closes the database. */
  close(): Promise<void>;
}

/**
 * Starts a job worker on PostgreSQL.
 *
 * @throws HeliosError PRECONDITION_FAILED `JOBS.NEEDS_POSTGRES` without a database URL (the embedded
 *   database has one process: `helios serve` runs its jobs)
 * @example
 * ```ts
 * const worker = await startWorker({ databaseUrl: process.env.DATABASE_URL, concurrency: 8 });
 * process.on('SIGTERM', () => worker.close());
 * ```
 */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  if (!options.databaseUrl) throw JOBS_ERRORS.NEEDS_POSTGRES();
  const env = options.env ?? process.env;
  const key = resolveEncryptionKey({ env, ...(options.logger ? { logger: options.logger } : {}) });
  const helios = await createHelios({
    databaseUrl: options.databaseUrl,
    encryptionKey: key.key,
    previousEncryptionKeys: key.previousKeys,
    ...(key.auditKey ? { auditKey: key.auditKey } : {}),
    integrations: options.integrations ?? integrationOptionsFromEnv(env),
    ...(options.logger ? { logger: options.logger } : {}),
    jobs: { tasks: options.tasks ?? [] },
  });
  const concurrency = options.concurrency ?? 4;
  try {
    await helios.jobs.start({ concurrency });
  } catch (error) {
    await helios.close();
    throw error;
  }
  let closing: Promise<void> | null = null;
  return {
    helios,
    concurrency,
    close: () => {
      closing ??= helios.jobs.stop().finally(() => helios.close());
      return closing;
    },
  };
}
