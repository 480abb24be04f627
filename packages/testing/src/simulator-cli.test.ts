import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/helios-simulator.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'helios-simulator-'));
const children: ChildProcess[] = [];

function run(args: string[]): {
  child: ChildProcess;
  output: Promise<string>;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir });
  children.push(child);
  let text = '';
  child.stdout?.on('data', (d) => (text += d));
  child.stderr?.on('data', (d) => (text += d));
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  const output = new Promise<string>((resolve) => {
    child.stdout?.on('data', () => {
      if (text.includes('Ctrl-C')) resolve(text);
    });
    void exit.then(() => resolve(text));
  });
  return { child, output, exit };
}

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('helios-simulator', () => {
  it('serves the Google simulator, writes the key (mode 600) and prints the environment to use', async () => {
    const sim = run([
      'google',
      '--port',
      '0',
      '--users',
      '7',
      '--domain',
      'cli.test',
      '--key-file',
      'key.json',
    ]);
    const text = await sim.output;
    const root = /HELIOS_GOOGLE_API_ROOT=(\S+)/.exec(text)?.[1];
    const token = /HELIOS_GOOGLE_TOKEN_URL=(\S+)/.exec(text)?.[1];
    expect(root).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(token).toBe(`${root}token`);
    const key = JSON.parse(readFileSync(join(dir, 'key.json'), 'utf8'));
    expect(key).toMatchObject({ type: 'service_account', token_uri: token });
    expect(statSync(join(dir, 'key.json')).mode & 0o777).toBe(0o600);
    // It answers: an unauthenticated call gets Google's 401 envelope.
    const res = await fetch(`${root}admin/directory/v1/users?customer=my_customer`);
    expect(res.status).toBe(401);
    sim.child.kill('SIGTERM');
    expect(await sim.exit).toBe(0);
  });

  it('serves the Microsoft Graph simulator and prints the app registration and the environment', async () => {
    const sim = run(['microsoft', '--port', '0', '--users', '5', '--domain', 'cli.test']);
    const text = await sim.output;
    const graph = /HELIOS_MICROSOFT_GRAPH_URL=(\S+)/.exec(text)?.[1];
    const login = /HELIOS_MICROSOFT_LOGIN_URL=(\S+)/.exec(text)?.[1];
    const tenant = /tenantId\s+(\S+)/.exec(text)?.[1];
    const clientId = /clientId\s+(\S+)/.exec(text)?.[1];
    const secret = /clientSecret\s+(\S+)/.exec(text)?.[1];
    expect(graph).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = await fetch(`${login}/${tenant}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId!,
        client_secret: secret!,
        scope: 'https://graph.microsoft.com/.default',
      }),
    });
    expect(token.status).toBe(200);
    sim.child.kill('SIGTERM');
    expect(await sim.exit).toBe(0);
  });

  it('explains bad usage with exit 2', async () => {
    const none = run([]);
    expect(await none.exit).toBe(2);
    expect(await none.output).toContain('Usage: helios-simulator google|microsoft');
    const bad = run(['google', '--users', 'many']);
    expect(await bad.exit).toBe(2);
    expect(await bad.output).toContain('--users must be a whole number');
  });
});
