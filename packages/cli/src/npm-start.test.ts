import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// `npm start` the way Docker and systemd stop it: SIGTERM to the npm process only. The server must
// stop with it (port closed, no node process left, the embedded database's lock released).
// `npm test` builds the packages first; HELIOS_START_NO_BUILD skips the build inside `npm start`.

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const workDir = mkdtempSync(join(tmpdir(), 'helios-npm-start-'));
const dataDir = join(workDir, 'data');
const spawned: number[] = [];

const freePort = () =>
  new Promise<number>((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const portOpen = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
/** Polls `check` until it holds or `timeoutMs` passes; returns its last answer. */
async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

afterAll(() => {
  // Never leave a server behind, even when the test failed.
  for (const pid of spawned) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(workDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('stops the server when npm receives SIGTERM: port closed, no node process left, embedded database lock released', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HELIOS_START_NO_BUILD: '1',
      HELIOS_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      HELIOS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      BETTER_AUTH_SECRET: randomBytes(32).toString('hex'),
    };
    delete env.DATABASE_URL;
    const npm: ChildProcess = spawn('npm', ['start'], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    spawned.push(npm.pid!);
    let output = '';
    npm.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    npm.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const exited = new Promise<void>((done) => npm.once('exit', () => done()));

    expect(await eventually(() => output.includes('Helios is serving'), 90_000), output).toBe(true);
    const lockFile = `${dataDir}.lock`;
    const serverPid = Number(readFileSync(lockFile, 'utf8').trim());
    spawned.push(serverPid);
    expect(serverPid).not.toBe(npm.pid);
    expect(await portOpen(port)).toBe(true);

    npm.kill('SIGTERM');
    await exited;
    expect(
      await eventually(() => !isAlive(serverPid), 20_000),
      `server ${serverPid} still running\n${output}`,
    ).toBe(true);
    expect(await portOpen(port)).toBe(false);
    expect(existsSync(lockFile)).toBe(false);
  }, 150_000);

  it('says that it builds and shows progress per package before it starts the server', async () => {
    // `npm test` built the packages: turbo answers from its cache in seconds, one line per package.
    const npm = spawn('npm', ['start', '--', '--help'], {
      cwd: repoRoot,
      env: { ...process.env, HELIOS_START_NO_BUILD: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    spawned.push(npm.pid!);
    let output = '';
    npm.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    npm.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((done) => npm.once('exit', done));
    expect(code, output).toBe(0);
    expect(output).toContain('helios: building the packages with turbo');
    for (const pkg of ['core', 'server', 'cli', 'testing'])
      expect(output).toMatch(new RegExp(`@helios/${pkg}:build`));
    expect(output).toContain('helios: build done, starting the server');
    expect(output.indexOf('helios: build done')).toBeLessThan(
      output.indexOf('Usage: helios start'),
    );
  }, 300_000);
});
