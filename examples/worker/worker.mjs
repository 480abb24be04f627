// A worker process for your own background work: defines a task, starts `helios.jobs` (graphile-worker
// on PostgreSQL, the in-process queue on the embedded database), queues one job per user, waits until
// all ran, then stops gracefully. With --forever it keeps working until SIGTERM or Ctrl-C, as a
// deployed worker does. Runs on DATABASE_URL (an empty database) or, without it, in memory.
//
//   npm run build && node examples/worker/worker.mjs [--forever]

import { createHelios, defineTask } from '@helios/core';
import { z } from 'zod';

const forever = process.argv.includes('--forever');
const welcomed = [];

// A task: a name, a payload schema and an idempotent handler. Handlers run as the system actor
// `job:<name>`, never inside a transaction, and are retried with backoff when they throw.
const welcome = defineTask({
  name: 'example.welcome',
  payload: z.object({ userId: z.uuid() }),
  maxAttempts: 5,
  handler: async ({ userId }, { helios }) => {
    const user = await helios.users.get(userId);
    welcomed.push(user.email); // a real task would send a mail or call a cloud here
  },
});

const url = process.env.DATABASE_URL;
const helios = await createHelios({
  ...(url ? { databaseUrl: url, install: true } : { embedded: {} }),
  jobs: { tasks: [welcome] },
});

const stop = async (signal) => {
  console.log(`${signal}: finishing the jobs in hand, then stopping`);
  await helios.close(); // stops the worker gracefully, then closes the database
  process.exit(0);
};
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));

const { admin } = await helios.organizations.setup({
  organizationName: 'Acme',
  organizationDomain: 'acme.example',
  admin: { email: 'ada@acme.example', firstName: 'Ada', lastName: 'Lovelace' },
});
const asAdmin = helios.as({ type: 'user', userId: admin.id });
const users = [];
for (const name of ['grace', 'alan', 'edsger']) {
  users.push(
    await asAdmin.users.create({
      email: `${name}@acme.example`,
      firstName: name,
      lastName: 'Example',
    }),
  );
}

await helios.jobs.start({ concurrency: 2 });
console.log(
  `Worker started (${helios.jobs.backend === 'postgres' ? 'graphile-worker' : 'in-process queue'})`,
);

// Queue one job per user; the job key makes a second queueing of the same user replace the first.
for (const user of users) {
  await helios.jobs.enqueue(welcome, { userId: user.id }, { jobKey: `welcome:${user.id}` });
}

while (welcomed.length < users.length) await new Promise((resolve) => setTimeout(resolve, 50));
console.log(`Welcomed ${welcomed.length} users: ${[...welcomed].sort().join(', ')}`);

if (forever) console.log('Working until SIGTERM or Ctrl-C');
else await stop('done');
