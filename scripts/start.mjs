#!/usr/bin/env node
/**
 * What `npm start` runs: builds the packages (turbo, cached), then runs `helios start` as a child
 * process and forwards SIGTERM, SIGINT and SIGHUP to it, exiting with its code. Without this, `npm
 * start` ran `turbo ... && helios start` in a shell: a SIGTERM (Docker, systemd, `kill`) stopped npm
 * and the shell but left the server running, holding its port and the embedded database's lock.
 *
 * The build says what it does: a line before it, then turbo's line per package (`cache hit` when
 * nothing changed, otherwise the package's build output as it runs), so that the first build (a few
 * minutes) is not spent in silence.
 *
 * Arguments go to `helios start` (`npm start -- --port 8080`). `HELIOS_START_NO_BUILD=1` skips the
 * build (an image or a test that built already). In production, prefer running `helios serve`
 * directly (no npm in between): see the README.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'];

let child = null;
let stopSignal = null;
for (const signal of SIGNALS) {
  process.on(signal, () => {
    stopSignal ??= signal;
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    else if (!child) process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
  });
}

// npm leaves this script orphaned when it is killed without forwarding a signal (SIGKILL): stop
// the server then, as if it had been sent SIGTERM.
const parent = process.ppid;
const watchParent = setInterval(() => {
  if (process.ppid !== parent && child && child.exitCode === null) child.kill('SIGTERM');
}, 1000);
watchParent.unref();

/** Runs a command with the terminal, forwarding the stop signals; resolves with its exit code. */
function run(command, args) {
  return new Promise((resolve) => {
    child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    child.on('error', (error) => {
      process.stderr.write(`error: could not run ${command}: ${error.message}\n`);
      resolve(2);
    });
    child.on('exit', (code, signal) => {
      child = null;
      resolve(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGHUP' ? 129 : 143));
    });
  });
}

let build = 0;
if (process.env.HELIOS_START_NO_BUILD !== '1') {
  process.stderr.write(
    'helios: building the packages with turbo (the first build takes a few minutes; later starts reuse the cache)\n',
  );
  build = await run(process.execPath, [
    join(root, 'node_modules/turbo/bin/turbo'),
    'run',
    'build',
    '--output-logs=new-only',
  ]);
  if (build !== 0)
    process.stderr.write(`helios: the build failed (exit ${build}); see the output above\n`);
  else if (!stopSignal) process.stderr.write('helios: build done, starting the server\n');
}
if (build !== 0 || stopSignal) process.exit(build || 143);
process.exit(
  await run(process.execPath, [
    join(root, 'packages/cli/bin/helios.js'),
    'start',
    ...process.argv.slice(2),
  ]),
);
