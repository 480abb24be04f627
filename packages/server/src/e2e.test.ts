import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// End to end: the built `helios serve` on a free port (--port 0), in a scratch working directory,
// on a fresh PostgreSQL database when the run has one (else the embedded default in the scratch
// directory's .helios/data); then over real HTTP: first-run setup, sign-in through better-auth
// (session cookie), an API key made with that cookie, an API call with the key; then SIGTERM and a
// clean exit. `npm test` builds the packages first.

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const bin = join(repoRoot, 'packages/cli/bin/helios.js');
const ADMIN = { email: 'admin@e2e.test', password: 'e2e admin password 123' };

interface ServeResult {
  url: string;
  publicUrl: string;
  database: string;
  setupNeeded: boolean;
}

let workDir: string;
let database: TestDatabase | null = null;
let child: ChildProcess;
let served: ServeResult;
let stdout = '';
let stderr = '';
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

/** The JSON document `helios serve --json` prints once it listens (possibly spread over lines). */
function waitForResult(timeoutMs: number): Promise<ServeResult> {
  return new Promise((resolveResult, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `helios serve printed no result within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
          ),
        ),
      timeoutMs,
    );
    const check = () => {
      const text = stdout.trim();
      if (!text.endsWith('}')) return;
      try {
        const parsed = JSON.parse(text) as ServeResult | { error: unknown };
        clearTimeout(timer);
        if ('error' in parsed)
          reject(
            new Error(`helios serve failed: ${JSON.stringify(parsed.error)}\nstderr: ${stderr}`),
          );
        else resolveResult(parsed);
      } catch {
        // Not complete yet.
      }
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      check();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `helios serve exited with ${code} before listening\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    });
  });
}

beforeAll(async () => {
  expect(
    existsSync(join(repoRoot, 'packages/cli/dist/bin.js')),
    'build first: packages/cli/dist/bin.js is missing',
  ).toBe(true);
  workDir = mkdtempSync(join(tmpdir(), 'helios-e2e-'));
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' };
  for (const name of [
    'DATABASE_URL',
    'HELIOS_PUBLIC_URL',
    'HELIOS_ADMIN_EMAIL',
    'HELIOS_ADMIN_PASSWORD',
    'HELIOS_DATA_DIR',
    'HELIOS_CORS_ORIGINS',
    'HOST',
  ])
    delete env[name];
  const probe = await createTestDatabase({ empty: true });
  if (probe.backend === 'postgres') {
    database = probe;
    env.DATABASE_URL = probe.connectionString!;
  } else {
    await probe.destroy();
  }
  child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--json'], {
    cwd: workDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  served = await waitForResult(120_000);
}, 180_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
  await database?.destroy();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('helios serve, end to end over HTTP', () => {
  let cookie = '';
  let apiKey = '';

  it('listens on a real port and reports its URL and database', () => {
    const url = new URL(served.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBeGreaterThan(0);
    expect(served.setupNeeded).toBe(true);
    if (database)
      expect(served.database).toContain(new URL(database.connectionString!).pathname.slice(1));
    else expect(served.database).toContain(join(workDir, '.helios', 'data'));
  });

  it('answers health and readiness', async () => {
    expect(await (await fetch(`${served.url}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${served.url}/ready`);
    expect(ready.status).toBe(200);
    // `helios serve` runs the job worker in process by default.
    expect(await ready.json()).toMatchObject({ status: 'ready', worker: 'running' });
  });

  it('sets up the organization and its first admin', async () => {
    const res = await fetch(`${served.url}/api/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        organizationName: 'E2E Inc',
        organizationDomain: 'e2e.test',
        admin: {
          email: ADMIN.email,
          firstName: 'Ada',
          lastName: 'Admin',
          password: ADMIN.password,
        },
      }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await (await fetch(`${served.url}/api/v1/setup`)).json()).toMatchObject({
      isSetupComplete: true,
    });
  });

  it('signs in through better-auth and calls the API with the session cookie', async () => {
    // Without HELIOS_PUBLIC_URL the public URL is the bound address (port 0 becomes the real port),
    // so a browser on `url` is a trusted origin.
    expect(served.publicUrl).toBe(served.url);
    const res = await fetch(`${served.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: served.url },
      body: JSON.stringify(ADMIN),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    expect(cookie).toContain('session_token=');
    const org = await fetch(`${served.url}/api/v1/organization`, { headers: { cookie } });
    expect(org.status).toBe(200);
    expect(await org.json()).toMatchObject({ name: 'E2E Inc', domain: 'e2e.test' });
    expect((await fetch(`${served.url}/api/v1/organization`)).status).toBe(401);
  });

  it('creates an API key with the cookie and calls the API with Authorization: Bearer', async () => {
    const res = await fetch(`${served.url}/api/v1/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: served.publicUrl },
      body: JSON.stringify({ name: 'e2e', scopes: ['organization:read', 'users:read'] }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const created = (await res.json()) as { secret: string };
    expect(created.secret).toMatch(/^helios_live_/);
    apiKey = created.secret;

    const org = await fetch(`${served.url}/api/v1/organization`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(org.status).toBe(200);
    expect(await org.json()).toMatchObject({ name: 'E2E Inc' });
    const users = await fetch(`${served.url}/api/v1/users?limit=10`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(users.status).toBe(200);
    const page = (await users.json()) as { items: { email: string }[] };
    expect(page.items.map((u) => u.email)).toContain(ADMIN.email);
    // The key has no security scope: listing keys is refused.
    const refused = await fetch(`${served.url}/api/v1/api-keys`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
  });

  it('shuts down cleanly on SIGTERM (exit code 0 within the grace period), writing the API key usage still queued', async () => {
    // Uses made right before the signal are still in the usage batcher's memory (flushed about every second).
    for (let i = 0; i < 5; i++) {
      expect(
        (
          await fetch(`${served.url}/api/v1/organization`, {
            headers: { authorization: `Bearer ${apiKey}` },
          })
        ).status,
      ).toBe(200);
    }
    child.kill('SIGTERM');
    const result = await Promise.race([
      exited,
      new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), 20_000)),
    ]);
    expect(result, `stderr: ${stderr}`).toEqual({ code: 0, signal: null });
    expect(stderr).toContain('SIGTERM');
    await expect(fetch(`${served.url}/health`)).rejects.toThrow();
    if (database) {
      // 3 uses in the API key test, 5 here: none lost.
      const { n } = await database.db
        .selectFrom('api_key_usage_logs')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(n)).toBe(8);
    }
  });
});
