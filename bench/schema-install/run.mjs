// Schema install benchmark: how long the SDK's installSchema takes compared with loading the same
// schema file with psql, on a PostgreSQL server and on the embedded PGlite database.
//
//   npx turbo run build && node bench/schema-install/run.mjs
//
// Environment: BENCH_RUNS (repetitions, default 5), DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres; its database is only used to create and drop the
// scratch databases), PSQL (psql binary, default "psql"), BENCH_TIMEOUT_S (whole-run limit,
// default 600). It prints a report and exits 0 whether or not the targets are met; it exits 1 on
// an error (and 2 when the time limit is hit), after dropping what it created.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtFile, importBuilt, intReader, repoRoot } from '../lib/harness.mjs';
import { DATABASE_URL, urlFor } from '../lib/pg.mjs';
import {
  fmt,
  loadFooterLine,
  machineLine,
  STATS_COLUMNS,
  seconds,
  stats as statsOf,
  statsRow,
  table,
} from '../lib/report.mjs';

const schemaFile = join(repoRoot, 'database', 'schema_organization.sql');
const builtDb = builtFile('core', 'db.js');

const int = intReader('schema-install');
const RUNS = int('BENCH_RUNS', 5);
const TIMEOUT_S = int('BENCH_TIMEOUT_S', 600);
const PSQL = process.env.PSQL || 'psql';
/** Per psql invocation, so a stuck server cannot hang the run. */
const PSQL_TIMEOUT_MS = 120_000;

const TARGETS = { pgFresh: 1.5, embeddedFresh: 5, rerun: 0.3 };

/** Scratch databases and directories still to remove. */
const createdDatabases = new Set();
const createdDirs = new Set();

function redact(url) {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

async function timed(fn) {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

/** Runs psql with `args`; resolves with its output, rejects on a non-zero exit or a timeout. */
function runPsql(args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(PSQL, ['-X', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const shown = redact(args.join(' '));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`psql ${shown} timed out after ${PSQL_TIMEOUT_MS / 1000} s`));
    }, PSQL_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${PSQL}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise(stdout);
      else
        reject(
          new Error(
            `psql ${shown} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || stdout.trim()}`,
          ),
        );
    });
  });
}

async function adminSql(statement) {
  return runPsql(['-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', DATABASE_URL, '-c', statement]);
}

async function createDatabase(name) {
  createdDatabases.add(name);
  await adminSql(`create database "${name}" template template0`);
}

async function dropDatabase(name) {
  await adminSql(`drop database if exists "${name}" with (force)`);
  createdDatabases.delete(name);
}

async function countPublicTables(name) {
  const out = await runPsql([
    '-A',
    '-t',
    '-d',
    urlFor(name),
    '-c',
    "select count(*) from pg_tables where schemaname = 'public'",
  ]);
  return Number(out.trim());
}

function expectAction(result, action, where) {
  if (result?.action !== action)
    throw new Error(
      `${where}: installSchema returned ${JSON.stringify(result?.action)}, expected "${action}"`,
    );
}

/** One repetition on the PostgreSQL server: psql -f, SDK install, SDK re-run. */
async function postgresRepetition(sdk, rep) {
  const psqlDb = `helios_bench_${process.pid}_${rep}_psql`;
  const sdkDb = `helios_bench_${process.pid}_${rep}_sdk`;
  await createDatabase(psqlDb);
  await createDatabase(sdkDb);
  try {
    const baseline = async () =>
      (
        await timed(() =>
          runPsql(['-q', '-v', 'ON_ERROR_STOP=1', '-1', '-d', urlFor(psqlDb), '-f', schemaFile]),
        )
      ).ms;
    // A fresh connection each time, as a `helios db install` process would have; db.destroy() is
    // inside the timing, as psql's exit is.
    const sdkInstall = async (expected) =>
      (
        await timed(async () => {
          const db = sdk.createDb({ connectionString: urlFor(sdkDb), max: 1 });
          try {
            expectAction(await sdk.installSchema(db), expected, `PostgreSQL ${sdkDb}`);
          } finally {
            await db.destroy();
          }
        })
      ).ms;
    // Alternate which goes first, so neither always meets a warmer server.
    let psqlMs;
    let sdkMs;
    if (rep % 2 === 0) {
      psqlMs = await baseline();
      sdkMs = await sdkInstall('installed');
    } else {
      sdkMs = await sdkInstall('installed');
      psqlMs = await baseline();
    }
    const rerunMs = await sdkInstall('already-installed');
    const [psqlTables, sdkTables] = await Promise.all([
      countPublicTables(psqlDb),
      countPublicTables(sdkDb),
    ]);
    if (psqlTables !== sdkTables || sdkTables === 0) {
      throw new Error(
        `psql and installSchema disagree: ${psqlTables} vs ${sdkTables} tables in public`,
      );
    }
    return { psqlMs, sdkMs, rerunMs };
  } finally {
    await dropDatabase(psqlDb);
    await dropDatabase(sdkDb);
  }
}

/** One repetition on PGlite, in memory (dataDir undefined) or on disk. */
async function embeddedRepetition(sdk, dataDir, label) {
  const db = sdk.createDb({ embedded: dataDir ? { dataDir } : {} });
  try {
    const start = await timed(() => sdk.checkConnection(db));
    const install = await timed(() => sdk.installSchema(db));
    expectAction(install.value, 'installed', label);
    const rerun = await timed(() => sdk.installSchema(db));
    expectAction(rerun.value, 'already-installed', label);
    return { startMs: start.ms, installMs: install.ms, rerunMs: rerun.ms };
  } finally {
    await db.destroy();
  }
}

/** `stats` of millisecond figures, in seconds. */
const stats = (values) => statsOf(values.map(seconds));

async function main() {
  if (!existsSync(builtDb)) {
    throw new Error(`${builtDb} is missing: build first with \`npx turbo run build\``);
  }
  const sdk = await importBuilt(builtDb);
  // The SDK must install the very file psql loads, or the comparison means nothing.
  const sdkSchemaFile = join(sdk.schemaDir(), 'schema_organization.sql');
  if (readFileSync(sdkSchemaFile, 'utf8') !== readFileSync(schemaFile, 'utf8')) {
    throw new Error(
      `${sdkSchemaFile} differs from ${schemaFile}: rebuild with \`npx turbo run build\``,
    );
  }
  const psqlVersion =
    spawnSync(PSQL, ['--version'], { encoding: 'utf8' }).stdout?.trim() || 'unknown';
  const serverVersion = (await adminSql('show server_version')).trim();

  console.log('Helios schema install benchmark');
  console.log(
    `  schema file  ${schemaFile} (${readFileSync(schemaFile).length} bytes; SDK reads ${sdkSchemaFile})`,
  );
  console.log(`  PostgreSQL   ${redact(DATABASE_URL)} (server ${serverVersion}; ${psqlVersion})`);
  console.log(`  node         ${process.version}; repetitions ${RUNS} (BENCH_RUNS)`);
  console.log(machineLine());
  console.log('');

  const pg = { psql: [], sdk: [], rerun: [] };
  for (let rep = 0; rep < RUNS; rep++) {
    process.stdout.write(`  PostgreSQL repetition ${rep + 1}/${RUNS}...`);
    const r = await postgresRepetition(sdk, rep);
    pg.psql.push(r.psqlMs);
    pg.sdk.push(r.sdkMs);
    pg.rerun.push(r.rerunMs);
    console.log(
      ` psql ${fmt(seconds(r.psqlMs))} s, installSchema ${fmt(seconds(r.sdkMs))} s, re-run ${fmt(seconds(r.rerunMs))} s`,
    );
  }

  const emb = {
    memory: { start: [], install: [], total: [], rerun: [] },
    disk: { start: [], install: [], total: [], rerun: [] },
  };
  for (let rep = 0; rep < RUNS; rep++) {
    for (const where of ['memory', 'disk']) {
      process.stdout.write(`  PGlite ${where} repetition ${rep + 1}/${RUNS}...`);
      let dataDir;
      if (where === 'disk') {
        dataDir = mkdtempSync(join(tmpdir(), 'helios-bench-pglite-'));
        createdDirs.add(dataDir);
      }
      try {
        const r = await embeddedRepetition(
          sdk,
          dataDir && join(dataDir, 'data'),
          `PGlite ${where}`,
        );
        const e = emb[where];
        e.start.push(r.startMs);
        e.install.push(r.installMs);
        e.total.push(r.startMs + r.installMs);
        e.rerun.push(r.rerunMs);
        console.log(
          ` start ${fmt(seconds(r.startMs))} s, install ${fmt(seconds(r.installMs))} s, re-run ${fmt(seconds(r.rerunMs))} s`,
        );
      } finally {
        if (dataDir) {
          rmSync(dataDir, { recursive: true, force: true });
          createdDirs.delete(dataDir);
        }
      }
    }
  }

  const s = {
    psql: stats(pg.psql),
    pgSdk: stats(pg.sdk),
    pgRerun: stats(pg.rerun),
    memStart: stats(emb.memory.start),
    memInstall: stats(emb.memory.install),
    memTotal: stats(emb.memory.total),
    memRerun: stats(emb.memory.rerun),
    diskStart: stats(emb.disk.start),
    diskInstall: stats(emb.disk.install),
    diskTotal: stats(emb.disk.total),
    diskRerun: stats(emb.disk.rerun),
  };
  const row = (label, st) => statsRow(label, st, fmt);

  console.log('');
  console.log(
    `Seconds over ${RUNS} repetition(s); "first" is repetition 1 (cold for PGlite: the first start in the process)`,
  );
  console.log('');
  console.log(
    table(
      ['measurement', ...STATS_COLUMNS],
      [
        row('PostgreSQL  psql -1 -f schema_organization.sql (baseline)', s.psql),
        row('PostgreSQL  installSchema, fresh (incl. connect)', s.pgSdk),
        row('PostgreSQL  installSchema, re-run (incl. connect)', s.pgRerun),
        row('PGlite mem  start (createDb + checkConnection)', s.memStart),
        row('PGlite mem  installSchema, fresh', s.memInstall),
        row('PGlite mem  start + install (total)', s.memTotal),
        row('PGlite mem  installSchema, re-run', s.memRerun),
        row('PGlite disk start (createDb + checkConnection)', s.diskStart),
        row('PGlite disk installSchema, fresh', s.diskInstall),
        row('PGlite disk start + install (total)', s.diskTotal),
        row('PGlite disk installSchema, re-run', s.diskRerun),
      ],
    ),
  );

  const base = s.psql.median;
  const ratio = (st) => `${(st.median / base).toFixed(2)}x`;
  console.log('');
  console.log('Ratios of medians to psql -f');
  console.log('');
  console.log(
    table(
      ['ratio', 'value'],
      [
        ['PostgreSQL installSchema fresh / psql -f', ratio(s.pgSdk)],
        ['PGlite mem install / psql -f', ratio(s.memInstall)],
        ['PGlite mem start + install / psql -f', ratio(s.memTotal)],
        ['PGlite disk install / psql -f', ratio(s.diskInstall)],
        ['PGlite disk start + install / psql -f', ratio(s.diskTotal)],
        ['PostgreSQL re-run / psql -f', ratio(s.pgRerun)],
        ['PGlite mem re-run / psql -f', ratio(s.memRerun)],
        ['PGlite disk re-run / psql -f', ratio(s.diskRerun)],
      ],
    ),
  );

  const verdict = (st, limit) => [
    fmt(st.median),
    `<= ${limit}`,
    st.median <= limit ? 'PASS' : 'MISS',
  ];
  const info = (st, limit) => [
    fmt(st.median),
    `(${limit})`,
    st.median <= limit ? 'info: within' : 'info: over',
  ];
  console.log('');
  console.log('Targets (judged on the median)');
  console.log('');
  console.log(
    table(
      ['target', 'median s', 'limit s', 'result'],
      [
        [
          'fresh install on PostgreSQL (installSchema incl. connect)',
          ...verdict(s.pgSdk, TARGETS.pgFresh),
        ],
        [
          'fresh install embedded, in memory (install step)',
          ...verdict(s.memInstall, TARGETS.embeddedFresh),
        ],
        [
          'fresh install embedded, on disk (install step)',
          ...verdict(s.diskInstall, TARGETS.embeddedFresh),
        ],
        [
          '  embedded in memory, start + install (not judged)',
          ...info(s.memTotal, TARGETS.embeddedFresh),
        ],
        [
          '  embedded on disk, start + install (not judged)',
          ...info(s.diskTotal, TARGETS.embeddedFresh),
        ],
        ['re-run on PostgreSQL (incl. connect)', ...verdict(s.pgRerun, TARGETS.rerun)],
        ['re-run embedded, in memory', ...verdict(s.memRerun, TARGETS.rerun)],
        ['re-run embedded, on disk', ...verdict(s.diskRerun, TARGETS.rerun)],
      ],
    ),
  );
  console.log('');
  console.log(
    'The embedded target is judged on the install step, without the PGlite start; the totals are shown for reference.',
  );
  console.log(loadFooterLine());
  console.log('This is a report: the exit status does not depend on the targets.');
}

/** Best-effort removal of whatever is left, synchronously (usable from the watchdog). */
function cleanupSync() {
  for (const name of createdDatabases) {
    spawnSync(
      PSQL,
      ['-X', '-q', '-d', DATABASE_URL, '-c', `drop database if exists "${name}" with (force)`],
      { stdio: 'ignore', timeout: 30_000 },
    );
  }
  createdDatabases.clear();
  for (const dir of createdDirs) rmSync(dir, { recursive: true, force: true });
  createdDirs.clear();
}

const watchdog = setTimeout(() => {
  console.error(`\nschema-install benchmark: gave up after ${TIMEOUT_S} s (BENCH_TIMEOUT_S)`);
  cleanupSync();
  process.exit(2);
}, TIMEOUT_S * 1000);
watchdog.unref();

try {
  await main();
  clearTimeout(watchdog);
  process.exitCode = 0;
} catch (error) {
  clearTimeout(watchdog);
  console.error(
    `\nschema-install benchmark failed: ${error instanceof Error ? error.message : error}`,
  );
  cleanupSync();
  process.exitCode = 1;
}
