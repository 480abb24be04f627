/**
 * A worker process for jobs.exactly-once.test.ts (run with `--import tsx`): opens Helios on the URL
 * with the Google simulator as its Google endpoints, runs `test.scheduled-suspend`
 * (jobs.exactly-once-task.ts) with dead-worker recovery every 500 ms, says `ready`, and closes
 * gracefully on `stop`. argv: url, name, encryption key, simulator url, simulator token url, pause
 * after the Google step in milliseconds.
 */
import { createHelios } from '../../helios';
import { testRuntime } from '../../test-runtime';
import { loadGoogleProvider } from '../google-workspace/credentials';
import type { GoogleWorkspaceProvider } from '../google-workspace/provider';
import { systemActor } from '../policy/actor';
import { suspendActionTask } from './jobs.exactly-once-task';

const [url, name, encryptionKey, rootUrl, tokenUrl, pauseMs] = process.argv.slice(2) as [string, string, string, string, string, string];
const integrations = { google: { rootUrl, tokenUrl } };
let provider: Promise<GoogleWorkspaceProvider> | null = null;
const task = suspendActionTask({
  worker: name,
  pauseMs: Number(pauseMs),
  provider: () => {
    provider ??= (async () => {
      const organizationId = await helios.organizationId();
      return loadGoogleProvider(testRuntime({ helios, organizationId }, systemActor('test'), { integrations }));
    })();
    return provider;
  },
});
const helios = await createHelios({ databaseUrl: url, encryptionKey, integrations, jobs: { tasks: [task], recovery: { intervalMs: 500 } } });
await helios.jobs.start({ concurrency: 4 });
process.on('message', (message) => {
  if (message !== 'stop') return;
  helios.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
process.send?.('ready');
