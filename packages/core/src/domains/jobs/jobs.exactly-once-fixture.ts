/**
 * A worker process for jobs.exactly-once.test.ts (run with `--import tsx`): opens Helios on the URL
 * with the Google simulator as its Google endpoints and starts a worker (createHelios registers the
 * scheduled-actions tasks on every instance) with dead-worker recovery every 500 ms; says `ready`,
 * and closes gracefully on `stop`. argv: url, encryption key, simulator url, simulator token url.
 */
import { createHelios } from '../../helios';

const [url, encryptionKey, rootUrl, tokenUrl] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
];
const helios = await createHelios({
  databaseUrl: url,
  encryptionKey,
  integrations: { google: { rootUrl, tokenUrl } },
  jobs: { recovery: { intervalMs: 500 } },
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
