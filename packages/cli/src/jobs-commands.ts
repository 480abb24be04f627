import {
  consoleLogger,
  createHelios,
  integrationOptionsFromEnv,
  type JobsStatus,
  resolveEncryptionKey,
} from '@helios/core';
import { defaultEmbeddedDataDir } from '@helios/core/db';
import { startWorker } from '@helios/server';
import type { Command } from 'commander';
import { EXIT, type Output } from './output';

interface WorkerCommandOptions {
  databaseUrl?: string;
  concurrency?: string;
  json?: boolean;
}

interface StatusOptions {
  databaseUrl?: string;
  json?: boolean;
}

function describeStatus(status: JobsStatus): string {
  const lines = [
    `Backend: ${status.backend === 'postgres' ? 'PostgreSQL (graphile-worker)' : 'in process (embedded database): the queue lives in the `helios serve` process'}`,
    `Queued: ${status.queued}   scheduled: ${status.scheduled}   running: ${status.running}   failed: ${status.failed}`,
  ];
  if (status.crons.length > 0) {
    lines.push('Cron schedules:');
    for (const c of status.crons)
      lines.push(
        `  ${c.identifier.padEnd(32)} next run ${c.nextRunAt ? c.nextRunAt.toISOString() : 'none within a year'}`,
      );
  }
  if (status.failures.length > 0) {
    lines.push('Recent failures:');
    for (const f of status.failures)
      lines.push(
        `  #${f.id} ${f.task} (${f.attempts}/${f.maxAttempts} attempts): ${f.lastError ?? ''}`.slice(
          0,
          200,
        ),
      );
  }
  return lines.join('\n');
}

/**
 * `helios worker [--concurrency N]`: runs job workers alone (N servers with HELIOS_WORKER=off and M
 * workers share one PostgreSQL database); `helios jobs status`: the queue's counts, failures, crons.
 */
export function registerJobsCommands(
  program: Command,
  makeOutput: (json: boolean) => Output,
): void {
  program
    .command('worker')
    .description(
      'run job workers without the API (PostgreSQL only; configuration from the environment: DATABASE_URL, HELIOS_ENCRYPTION_KEY)',
    )
    .option(
      '--concurrency <n>',
      'jobs run at once in this process (default: $HELIOS_WORKER_CONCURRENCY, else 4)',
    )
    .option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL)')
    .option('--json', 'print one JSON line when running')
    .action(async (opts: WorkerCommandOptions) => {
      const out = makeOutput(Boolean(opts.json));
      const raw = opts.concurrency ?? process.env.HELIOS_WORKER_CONCURRENCY ?? '4';
      const concurrency = Number(raw);
      if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 100)) {
        process.stderr.write(
          `error: --concurrency must be an integer from 1 to 100 (got ${raw})\n`,
        );
        process.exitCode = EXIT.usage;
        return;
      }
      let worker: Awaited<ReturnType<typeof startWorker>>;
      try {
        worker = await startWorker({
          databaseUrl: opts.databaseUrl ?? process.env.DATABASE_URL,
          concurrency,
          logger: consoleLogger('warn'),
        });
      } catch (error) {
        out.error(error);
        process.exitCode = EXIT.failed;
        return;
      }
      out.result(
        { worker: 'running', concurrency },
        `Helios job worker running (concurrency ${concurrency}); SIGTERM or SIGINT stops it after the jobs in flight`,
      );
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`${signal}: stopping the worker (finishing jobs in flight)\n`);
        worker.close().then(
          () => process.exit(0),
          () => process.exit(EXIT.failed),
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });

  const jobs = program.command('jobs').description('background jobs');
  jobs
    .command('status')
    .description(
      'queued, scheduled, running and failed jobs, recent failures, the next run of each cron schedule',
    )
    .option(
      '--database-url <url>',
      'PostgreSQL URL (default: $DATABASE_URL, else the embedded database in .helios/data)',
    )
    .option('--json', 'machine-readable output')
    .action(async (opts: StatusOptions) => {
      const out = makeOutput(Boolean(opts.json));
      const url = opts.databaseUrl ?? process.env.DATABASE_URL;
      try {
        const key = resolveEncryptionKey();
        const helios = await createHelios({
          ...(url ? { databaseUrl: url } : { embedded: { dataDir: defaultEmbeddedDataDir() } }),
          encryptionKey: key.key,
          previousEncryptionKeys: key.previousKeys,
          integrations: integrationOptionsFromEnv(),
        });
        try {
          const status = await helios.jobs.status();
          out.result(status, describeStatus(status));
          process.exitCode = EXIT.ok;
        } finally {
          await helios.close();
        }
      } catch (error) {
        out.error(error);
        process.exitCode = EXIT.failed;
      }
    });
}
