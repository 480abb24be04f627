/**
 * A worker process for jobs.process.test.ts (run with `--import tsx`): opens Helios on the URL in
 * argv, starts a worker, says `ready`, and closes gracefully on `stop`. Its tasks:
 * - `test.count`: each run inserts a row into `jobs_test.runs` (a table without a unique constraint);
 * - `test.hang`: each run inserts a row into `jobs_test.runs` with its attempt, then, in the process
 *   named `victim`, never returns (the test kills that process with SIGKILL).
 * argv: url, name, and optionally the dead-worker recovery interval in milliseconds.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { createHelios } from '../../helios';
import { defineTask } from './jobs.task';

const [url, name, intervalMs] = process.argv.slice(2) as [string, string, string | undefined];
const count = defineTask({
  name: 'test.count',
  payload: z.object({ n: z.number().int() }),
  handler: async ({ n }, { helios }) => {
    await sql`insert into jobs_test.runs (n, worker) values (${n}, ${name})`.execute(helios.db);
  },
});
const hang = defineTask({
  name: 'test.hang',
  payload: z.object({ n: z.number().int() }),
  handler: async ({ n }, { helios, job }) => {
    await sql`insert into jobs_test.runs (n, worker, attempt) values (${n}, ${name}, ${job.attempt})`.execute(
      helios.db,
    );
    if (name === 'victim') await new Promise(() => {});
  },
});
const helios = await createHelios({
  databaseUrl: url,
  jobs: {
    tasks: [count, hang],
    ...(intervalMs ? { recovery: { intervalMs: Number(intervalMs) } } : {}),
  },
});
await helios.jobs.start({ concurrency: 4 });
process.on('message', (message) => {
  if (message !== 'stop') return;
  helios.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
process.send?.('ready');
