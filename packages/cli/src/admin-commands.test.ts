import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helios, heliosProcess } from './cli.test-kit';

describe('helios admin and users', () => {
  let t: TestDatabase;
  let cwd: string;
  let target: string[];
  beforeAll(async () => {
    t = await createTestDatabase({ empty: true });
    cwd = mkdtempSync(join(tmpdir(), 'helios-admin-'));
    // On PostgreSQL the commands target the test database; embedded, .helios/data under cwd.
    target = t.connectionString ? ['--database-url', t.connectionString] : [];
  });
  afterAll(async () => {
    await t.destroy();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('refuses to create an admin before setup unless given the organization, then sets it up', async () => {
    const refused = await helios(
      [
        'admin',
        'create',
        '--email',
        'ada@acme.test',
        '--first-name',
        'Ada',
        '--last-name',
        'L',
        ...target,
      ],
      cwd,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--organization-name');

    const setup = await helios(
      [
        'admin',
        'create',
        '--email',
        'ada@acme.test',
        '--first-name',
        'Ada',
        '--last-name',
        'L',
        '--organization-name',
        'Acme',
        '--organization-domain',
        'acme.test',
        ...target,
      ],
      cwd,
      { HELIOS_ADMIN_PASSWORD: 'a long admin password' },
    );
    expect(setup.stderr).not.toContain('error');
    expect(setup.code).toBe(0);
    expect(setup.stdout).toContain('Set up Acme with admin ada@acme.test');

    const second = await helios(
      [
        'admin',
        'create',
        '--email',
        'bob@acme.test',
        '--first-name',
        'Bob',
        '--last-name',
        'B',
        '--json',
        ...target,
      ],
      cwd,
    );
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      admin: { email: 'bob@acme.test', role: 'admin' },
      passwordSet: false,
    });

    const duplicate = await helios(
      [
        'admin',
        'create',
        '--email',
        'bob@acme.test',
        '--first-name',
        'Bob',
        '--last-name',
        'B',
        ...target,
      ],
      cwd,
    );
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toContain('[USERS.EMAIL_TAKEN]');
    // Four CLI runs, each opening the database (embedded: PGlite in a child process).
  }, 180_000);

  it('lists and exports users', async () => {
    const list = await helios(['users', 'list', '--json', ...target], cwd);
    expect(list.code).toBe(0);
    expect(
      JSON.parse(list.stdout)
        .items.map((u: { email: string }) => u.email)
        .sort(),
    ).toEqual(['ada@acme.test', 'bob@acme.test']);
    // The order the help promises: by last name (Bob B before Ada L).
    expect(JSON.parse(list.stdout).items.map((u: { lastName: string }) => u.lastName)).toEqual([
      'B',
      'L',
    ]);
    const help = await helios(['users', 'list', '--help'], cwd);
    expect(help.stdout).toContain('sorted by last name');
    expect(help.stdout).not.toContain('newest');

    const file = join(cwd, 'users.csv');
    const exported = await helios(
      ['users', 'export', '--format', 'csv', '--output', file, ...target],
      cwd,
    );
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('Exported 2 user(s)');
    const lines = readFileSync(file, 'utf8').trim().split('\r\n');
    expect(lines[0]).toMatch(/^id,email,first_name/);
    expect(lines).toHaveLength(3);

    const usage = await heliosProcess(['users', 'export', '--format', 'xml', ...target], cwd);
    expect(usage.code).toBe(64);
  });

  it('prints the audit head and verifies the chain against it, failing on a head the chain no longer holds', async () => {
    const head = await helios(['audit', 'head', ...target], cwd);
    expect(head.code).toBe(0);
    const text = head.stdout.trim();
    expect(text).toMatch(/^\d+:hm1:[A-Za-z0-9_-]{43}$/);

    const ok = await helios(['audit', 'verify', '--head', text, ...target], cwd);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Audit chain verified');

    const [sequence, ...hash] = text.split(':');
    const later = `${Number(sequence) + 5}:${hash.join(':')}`;
    const missing = await helios(['audit', 'verify', '--head', later, '--json', ...target], cwd);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({
      ok: false,
      firstBroken: { sequence: String(Number(sequence) + 5), reason: 'truncated' },
    });
  });
});
