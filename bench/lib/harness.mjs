// What every benchmark script does around its measurements: read its integer settings from the
// environment, find the built packages, and run under a time limit with the exit statuses the README
// promises (0 whatever the figures, 1 on an error, 2 on the time limit; cleaned up in every case).

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root (bench/lib is two levels below it). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The path of a built file of a workspace package, e.g. `builtFile('core', 'index.js')`. */
export const builtFile = (pkg, file) => join(repoRoot, 'packages', pkg, 'dist', file);

/** Throws when one of the built files is missing (the benchmarks run on `packages/*\/dist`). */
export function requireBuilt(...files) {
  for (const file of files) {
    if (!existsSync(file)) throw new Error(`build first: ${file} is missing (npx turbo run build)`);
  }
}

/** Imports a built file by its path. */
export const importBuilt = (file) => import(pathToFileURL(file).href);

/**
 * A reader of integer settings for the benchmark `name`: `int(variable, fallback, min = 1, max)`
 * returns the fallback when the variable is unset or empty, the number when it is an integer in
 * [min, max], and otherwise prints why and exits 1.
 */
export const intReader =
  (name) =>
  (variable, fallback, min = 1, max = Number.MAX_SAFE_INTEGER) => {
    const raw = process.env[variable];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      const range =
        min === 1 && max === Number.MAX_SAFE_INTEGER
          ? 'a positive integer'
          : `an integer from ${min} to ${max}`;
      console.error(`${name} benchmark: ${variable} must be ${range} (got "${raw}")`);
      process.exit(1);
    }
    return n;
  };

/**
 * Runs `main` under a time limit of `timeoutS` seconds and exits: 0 when it returns, 1 when it
 * throws, 2 when the limit is reached first (BENCH_TIMEOUT_S); `cleanup` (which must not throw) runs
 * before each exit.
 */
export async function runBenchmark({ name, timeoutS, main, cleanup }) {
  let timedOut = false;
  const timer = setTimeout(async () => {
    timedOut = true;
    console.error(`\n${name} benchmark: gave up after ${timeoutS} s (BENCH_TIMEOUT_S)`);
    await cleanup();
    process.exit(2);
  }, timeoutS * 1000);
  timer.unref();
  try {
    await main();
    await cleanup();
    process.exit(0);
  } catch (error) {
    if (timedOut) return; // the time limit stopped what was running: its handler cleans up and exits 2
    console.error(`\n${name} benchmark failed: ${error?.stack ?? error}`);
    await cleanup();
    process.exit(1);
  }
}
