import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase } from '@helios/testing';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');

/**
 * Runs an example script on a fresh test database (PostgreSQL when DATABASE_URL is set, else the
 * example's own embedded database) and expects exactly the output its README's `text` block shows.
 */
async function expectPrintsItsReadme(script: string): Promise<void> {
  const t = await createTestDatabase({ empty: true });
  try {
    const env = { ...process.env };
    if (t.connectionString) env.DATABASE_URL = t.connectionString;
    else delete env.DATABASE_URL;
    if (!t.connectionString) await t.destroy();
    const run = spawnSync(process.execPath, [script], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const readme = readFileSync(
      join(root, script.split('/').slice(0, 2).join('/'), 'README.md'),
      'utf8',
    );
    const printed = /```text\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(printed).toBeDefined();
    expect(run.stdout).toBe(printed);
  } finally {
    if (t.connectionString) await t.destroy();
  }
}

describe('examples', () => {
  it('runs the directory quick start from its README', async () => {
    expect(
      existsSync(join(root, 'packages/core/dist/index.js')),
      'build first (npm test builds)',
    ).toBe(true);
    const t = await createTestDatabase({ empty: true });
    try {
      const env = { ...process.env };
      if (t.connectionString) env.DATABASE_URL = t.connectionString;
      else delete env.DATABASE_URL;
      if (!t.connectionString) await t.destroy();
      const run = spawnSync(process.execPath, ['examples/directory-quickstart/quickstart.mjs'], {
        cwd: root,
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('Set up Acme (acme.example); admin ada@acme.example');
      expect(run.stdout).toContain('Engineering, page 1: Edsger Dijkstra, Grace Hopper');
      expect(run.stdout).toContain('Engineering, page 2: Alan Turing');
      expect(run.stdout).toContain('Grace has 2 direct reports');
      expect(run.stdout).toMatch(
        /- Grace Hopper \(VP Engineering\)\n {4}- Edsger Dijkstra \(Engineer\)\n {4}- Alan Turing \(Engineer\)/,
      );
      expect(run.stdout).toContain('CSV export: 5 users');
      expect(run.stdout).toMatch(/Audit trail: \d+ rows, chain intact/);
    } finally {
      if (t.connectionString) await t.destroy();
    }
  });

  it('runs the REST client example (@helios/client with an API key against the reference server) from its README', async () => {
    await expectPrintsItsReadme('examples/rest-client/client.mjs');
  });

  it('runs the embed example (a Hono app with its own sign-in mounting the server under /portal) from its README', async () => {
    await expectPrintsItsReadme('examples/embed-hono/app.mjs');
  }, 240_000);

  it('runs the worker example: its jobs run once each, and with --forever it stops gracefully on SIGTERM', async () => {
    const t = await createTestDatabase({ empty: true });
    const cleanup: Array<() => unknown> = [];
    try {
      const env = { ...process.env };
      if (t.connectionString) env.DATABASE_URL = t.connectionString;
      else delete env.DATABASE_URL;
      if (!t.connectionString) await t.destroy();
      const backend = t.connectionString ? 'graphile-worker' : 'in-process queue';
      const welcomed =
        'Welcomed 3 users: alan@acme.example, edsger@acme.example, grace@acme.example';
      const run = spawnSync(process.execPath, ['examples/worker/worker.mjs'], {
        cwd: root,
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toBe(
        `Worker started (${backend})\n${welcomed}\ndone: finishing the jobs in hand, then stopping\n`,
      );

      // A deployed worker: keeps working until SIGTERM, then exits 0 (on a second empty database).
      const t2 = await createTestDatabase({ empty: true });
      if (t2.connectionString) env.DATABASE_URL = t2.connectionString;
      else await t2.destroy();
      cleanup.push(() => (t2.connectionString ? t2.destroy() : undefined));
      const child = spawn(process.execPath, ['examples/worker/worker.mjs', '--forever'], {
        cwd: root,
        env,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((done) => child.once('exit', done));
      while (!stdout.includes('Working until SIGTERM') && child.exitCode === null) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toContain(welcomed);
      expect(stdout).toContain('SIGTERM: finishing the jobs in hand, then stopping');
    } finally {
      for (const done of cleanup) await done();
      if (t.connectionString) await t.destroy();
    }
  }, 240_000);

  it('runs the directory sync example (Google and Microsoft simulators) from its README', async () => {
    const t = await createTestDatabase({ empty: true });
    try {
      const env = { ...process.env };
      if (t.connectionString) env.DATABASE_URL = t.connectionString;
      else delete env.DATABASE_URL;
      if (!t.connectionString) await t.destroy();
      const run = spawnSync(process.execPath, ['examples/directory-sync/sync.mjs'], {
        cwd: root,
        env,
        encoding: 'utf8',
        timeout: 180_000,
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('Google connection: ok');
      expect(run.stdout).toContain(
        'Google plan: 41 users and 4 groups to create (nothing written)',
      );
      expect(run.stdout).toContain('Google sync: 41 users, 4 groups, 1 linked');
      expect(run.stdout).toContain(
        'Google write-back: created new.hire@acme.example (initial password of 20 characters, revealed once)',
      );
      expect(run.stdout).toContain('Microsoft connection: ok');
      expect(run.stdout).toMatch(/Microsoft sync \(full\): 31 users, 3 groups, \d+ Graph requests/);
      expect(run.stdout).toMatch(
        /Microsoft sync \(incremental\): 1 user updated, 1 Graph requests/,
      );
      expect(run.stdout).toContain(
        'Microsoft write-back: licence EMS for user000005@acme.example: assigned',
      );
      expect(run.stdout).toContain(
        'Linked portal users: Google user000002@acme.example; Microsoft user000002@acme.example',
      );
      expect(run.stdout).toContain('Journal: 2 Microsoft runs audited');
    } finally {
      if (t.connectionString) await t.destroy();
    }
  });

  it("runs the README's SDK snippet as written on an empty database (install: true)", async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Using the SDK'));
    const snippet = /```ts[^\n]*\n([\s\S]*?)```/.exec(section)?.[1];
    expect(snippet, 'the README has a ts block under "Using the SDK"').toBeTruthy();
    const t = await createTestDatabase({ empty: true });
    // Inside the repository, so that '@helios/core' resolves to the workspace package (built).
    const file = join(root, `.readme-snippet-${process.pid}.mts`);
    try {
      const env = { ...process.env };
      let code = snippet!;
      if (t.connectionString) env.DATABASE_URL = t.connectionString;
      else {
        // The embedded backend has no server URL: the same snippet on an in-memory embedded database.
        delete env.DATABASE_URL;
        await t.destroy();
        code = code.replace(
          'databaseUrl: process.env.DATABASE_URL!, install: true',
          'embedded: {}',
        );
      }
      writeFileSync(file, code);
      const run = spawnSync(process.execPath, ['--import', 'tsx', file], {
        cwd: root,
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/^id,email,first_name/);
      expect(run.stdout).toContain('grace@acme.com');
      expect(run.stdout).toContain('alan@acme.com');
    } finally {
      rmSync(file, { force: true });
      if (t.connectionString) await t.destroy();
    }
  }, 240_000);
});
