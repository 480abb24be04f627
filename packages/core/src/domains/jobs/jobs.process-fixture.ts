/**
 * A worker process for jobs.process.test.ts (run with `--import tsx`): opens Helios on the URL in
 * argv, starts a worker for `test.count` (each run inserts a row into `jobs_test.runs`, a table
 * without a unique constraint), says `ready`, and closes gracefully on `stop`.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { createHelios } from '../../helios';
import { defineTask } from './jobs.task';

const [url, name] = process.argv.slice(2) as [string, string];
const count = defineTask({
  name: 'test.count',
  payload: z.object({ n: z.number().int() }),
  handler: async ({ n }, { helios }) => {
    await sql`insert into jobs_test.runs (n, worker) values (${n}, ${name})`.execute(helios.db);
  },
});
const helios = await createHelios({ databaseUrl: url, jobs: { tasks: [count] } });
await helios.jobs.start({ concurrency: 4 });
process.on('message', (message) => {
  if (message !== 'stop') return;
  helios.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
process.send?.('ready');
