/**
 * The packages as a user installs them: `npm pack` the published packages, install the tarballs
 * into a fresh project (no workspace, no aliases, the packages' own `dist`, `sql` and declared
 * dependencies) and use them: ESM import, CommonJS require, TypeScript with `moduleResolution`
 * node16 and bundler (no skipLibCheck), `createHelios` connecting and listing users.
 *
 * One project, two steps, as users arrive: first `@helios/core` alone (a PostgreSQL user: PGlite,
 * the optional peer, is not installed; asking for the embedded database fails with a typed error),
 * then `@helios/testing` and `@electric-sql/pglite` added (the embedded database works). Tarball
 * and installed sizes are printed and held under BUDGET.
 *
 * Runs once per CI run: on the PostgreSQL pass it checks both backends (PostgreSQL with core
 * alone, the embedded database after PGlite is added), so CI's embedded pass (CI set, no
 * DATABASE_URL) would only repeat the embedded half and the two installs; it is skipped there. On
 * a machine without CI set it runs with whichever backend it has.
 *
 * Adding a package (`@helios/client`, being built in parallel): it is picked up by PACKAGES when
 * packages/<dir>/package.json exists; give it a BUDGET entry and an import line in ESM_CHECKS /
 * CJS_CHECKS / the typecheck files below.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@helios/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const MB = 1024 * 1024;

/** The published packages, by directory under packages/ (a package that does not exist yet is left out). */
const PACKAGES = [
  { dir: 'core', name: '@helios/core' },
  { dir: 'testing', name: '@helios/testing' },
  { dir: 'client', name: '@helios/client' },
].filter((p) => existsSync(join(root, 'packages', p.dir, 'package.json')));

/** Size budgets (bytes): the tarballs, and node_modules of a project after each step. */
const BUDGET = {
  tarball: {
    '@helios/core': 1.25 * MB,
    '@helios/testing': 0.3 * MB,
    '@helios/client': 0.25 * MB,
  } as Record<string, number>,
  /** `npm install @helios/core`: core and its dependencies, without PGlite. */
  installedCore: 70 * MB,
  /** Everything: core, testing (and client) and PGlite. */
  installedAll: 100 * MB,
};

const runsHere = !(process.env.CI && !process.env.DATABASE_URL);
const seconds: Record<string, number> = {};
const work = mkdtempSync(join(tmpdir(), 'helios-pack-'));
const project = join(work, 'consumer');
const tarballs = new Map<string, string>();

/** The environment of commands in the project: none of the repository's npm or Helios settings. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      k.startsWith('npm_') &&
      !['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig'].includes(k)
    )
      continue;
    if (
      k === 'DATABASE_URL' ||
      k.startsWith('HELIOS_') ||
      k === 'NODE_OPTIONS' ||
      k.startsWith('VITEST')
    )
      continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function run(
  label: string,
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
) {
  const started = performance.now();
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? project,
    env: cleanEnv(options.env),
    encoding: 'utf8',
    timeout: 600_000,
    ...(options.input ? { input: options.input } : {}),
  });
  seconds[label] = (seconds[label] ?? 0) + (performance.now() - started) / 1000;
  if (result.status !== 0) {
    throw new Error(
      `${label}: ${command} ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

const node = (label: string, args: string[], env?: Record<string, string>) =>
  run(label, process.execPath, args, env ? { env } : {});
const npmInstall = (label: string, specs: string[]) =>
  run(label, 'npm', [
    'install',
    ...specs,
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
  ]);
const tsc = (config: string) =>
  node(`tsc ${config}`, [join(root, 'node_modules/typescript/bin/tsc'), '-p', config]);

function sizeOf(path: string): number {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const entry of readdirSync(path)) total += sizeOf(join(path, entry));
  return total;
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(2)} MB`;

function write(files: Record<string, unknown>) {
  for (const [file, content] of Object.entries(files)) {
    writeFileSync(
      join(project, file),
      typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`,
    );
  }
}

/** A script that connects the way a user would, sets up an organization and lists its users. */
const CONNECT = `
import { createHelios } from '@helios/core';
const url = process.env.DATABASE_URL;
const helios = await createHelios(url ? { databaseUrl: url, install: true } : { embedded: {} });
try {
  const { admin } = await helios.organizations.setup({
    organizationName: 'Acme',
    organizationDomain: 'acme.example',
    admin: { email: 'ada@acme.example', firstName: 'Ada', lastName: 'Lovelace', password: 'a long admin passphrase' },
  });
  const asAdmin = helios.as({ type: 'user', userId: admin.id });
  await asAdmin.users.create({ email: 'grace@acme.example', firstName: 'Grace', lastName: 'Hopper' });
  const page = await asAdmin.users.list({ sort: 'lastName', limit: 10 });
  console.log(JSON.stringify({ users: page.items.map((u) => u.email) }));
} finally {
  await helios.close();
}
`;

/** Asking for the embedded database without PGlite installed. */
const EMBEDDED_MISSING = `
import { createHelios, isHeliosError } from '@helios/core';
try {
  await createHelios({ embedded: {} });
  console.log('connected');
} catch (error) {
  console.log(JSON.stringify({ helios: isHeliosError(error), code: error.code, kind: error.kind, message: error.message }));
}
`;

/** Type checks: a wrong `pool` must be an error (it silently became `any` without @types/pg). */
const CORE_TYPES = `
import { createHelios, type HeliosOptions } from '@helios/core';
import { createDb, type Database } from '@helios/core/db';
import { createHeliosAuth } from '@helios/core/auth';
import type { Kysely } from 'kysely';

const options: HeliosOptions = { databaseUrl: 'postgres://localhost/helios', install: true };
export const open = () => createHelios(options);
export const db: Kysely<Database> = createDb({ connectionString: 'postgres://localhost/helios' });
// @ts-expect-error the pool option is a pg.Pool
createDb({ pool: 42 });
export const auth = typeof createHeliosAuth;
`;

const TESTING_TYPES = `
import { createTestDatabase, startGoogleDirectorySimulator } from '@helios/testing';
import type { Helios } from '@helios/core';

export async function check(helios: Helios) {
  const t = await createTestDatabase({ empty: true });
  const sim = await startGoogleDirectorySimulator();
  const users: number = (await helios.repositories.departments.list({ orderBy: 'name', limit: 1 })).items.length;
  await sim.close();
  await t.destroy();
  return users;
}
`;

const CLIENT_TYPES = `
import { createHeliosClient, isHeliosApiError } from '@helios/client';

export async function firstEmails(baseUrl: string, apiKey: string): Promise<string[]> {
  const client = createHeliosClient({ baseUrl, apiKey });
  const emails: string[] = [];
  try {
    for await (const user of client.paginate('/api/v1/users', { query: { limit: 2 } })) emails.push(user.email);
  } catch (error) {
    if (isHeliosApiError(error)) return [error.code];
    throw error;
  }
  return emails;
}
`;

/**
 * better-auth's own declarations (not ours) need the DOM library (HeadersInit, JsonWebKey) and name
 * Bun's `bun:sqlite`: a project that checks libraries declares it (or sets skipLibCheck).
 */
const SHIMS = "declare module 'bun:sqlite' {\n  export type Database = unknown;\n}\n";

const COMPILER = {
  strict: true,
  noEmit: true,
  skipLibCheck: false,
  target: 'es2022',
  lib: ['es2023', 'dom'],
  types: ['node'],
};

describe.runIf(runsHere)('the packed packages, installed into a fresh project', () => {
  afterAll(() => {
    console.log(
      `pack-install: seconds ${Object.entries(seconds)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ')}`,
    );
    rmSync(work, { recursive: true, force: true });
  });

  it('packs each package under its tarball budget, with README, LICENSE and no source maps', () => {
    expect(
      existsSync(join(root, 'packages/core/dist/index.js')),
      'build first (npm test builds)',
    ).toBe(true);
    mkdirSync(project, { recursive: true });
    const workspaces = PACKAGES.flatMap((p) => ['-w', p.name]);
    const packed = JSON.parse(
      run(
        'npm pack',
        'npm',
        ['pack', ...workspaces, '--pack-destination', work, '--json', '--loglevel=error'],
        { cwd: root },
      ).stdout,
    ) as {
      name: string;
      filename: string;
      size: number;
      unpackedSize: number;
      files: { path: string }[];
    }[];
    expect(packed.map((p) => p.name).sort()).toEqual(PACKAGES.map((p) => p.name).sort());
    for (const p of packed) {
      console.log(
        `pack-install: ${p.name} tarball ${mb(p.size)} (unpacked ${mb(p.unpackedSize)}, ${p.files.length} files)`,
      );
      tarballs.set(p.name, join(work, p.filename));
      const paths = p.files.map((f) => f.path);
      expect(paths).toContain('README.md');
      expect(paths).toContain('LICENSE');
      expect(paths.filter((f) => f.endsWith('.map'))).toEqual([]);
      expect(p.size, `${p.name} tarball`).toBeLessThan(BUDGET.tarball[p.name] ?? 0);
    }
  }, 120_000);

  it('installs @helios/core alone (a PostgreSQL user, no PGlite): ESM, CommonJS, a typed error for the embedded database, PostgreSQL connects', async () => {
    write({ 'package.json': { name: 'helios-consumer', version: '0.0.0', private: true } });
    npmInstall('npm install core', [tarballs.get('@helios/core') ?? '']);
    expect(
      existsSync(join(project, 'node_modules/@electric-sql/pglite')),
      'PGlite is an optional peer, not installed with core',
    ).toBe(false);
    const installed = sizeOf(join(project, 'node_modules'));
    console.log(`pack-install: installed @helios/core ${mb(installed)}`);
    expect(installed).toBeLessThan(BUDGET.installedCore);

    const esm = node('esm', [
      '--input-type=module',
      '-e',
      "import * as c from '@helios/core'; import * as d from '@helios/core/db'; import * as a from '@helios/core/auth'; console.log(typeof c.createHelios, typeof d.installSchema, typeof a.createHeliosAuth)",
    ]);
    expect(esm.stdout.trim()).toBe('function function function');
    const cjs = node('cjs', [
      '-e',
      "const c = require('@helios/core'); const d = require('@helios/core/db'); const a = require('@helios/core/auth'); console.log(typeof c.createHelios, typeof d.installSchema, typeof a.createHeliosAuth)",
    ]);
    expect(cjs.stdout.trim()).toBe('function function function');

    write({ 'embedded-missing.mjs': EMBEDDED_MISSING });
    const missing = JSON.parse(node('embedded without PGlite', ['embedded-missing.mjs']).stdout);
    expect(missing).toMatchObject({
      helios: true,
      code: 'DB.EMBEDDED_NOT_INSTALLED',
      kind: 'PRECONDITION_FAILED',
    });
    expect(missing.message).toContain('npm install @electric-sql/pglite');

    // The declarations must not import the optional peer (typechecked below, after it is added).
    const declarations = readdirSync(join(project, 'node_modules/@helios/core/dist')).filter((f) =>
      /\.d\.c?ts$/.test(f),
    );
    for (const file of declarations) {
      expect(
        readFileSync(join(project, 'node_modules/@helios/core/dist', file), 'utf8'),
        file,
      ).not.toMatch(/from '@electric-sql\/pglite/);
    }

    if (process.env.DATABASE_URL) {
      const t = await createTestDatabase({ empty: true });
      try {
        write({ 'connect.mjs': CONNECT });
        const out = JSON.parse(
          node('connect postgres', ['connect.mjs'], { DATABASE_URL: t.connectionString ?? '' })
            .stdout,
        );
        expect(out.users).toEqual(['grace@acme.example', 'ada@acme.example']);
      } finally {
        await t.destroy();
      }
    }
  }, 900_000);

  it('adds @helios/testing and PGlite: ESM, CommonJS, TypeScript node16 and bundler, the embedded database connects and lists users', () => {
    const others = PACKAGES.filter((p) => p.name !== '@helios/core').map(
      (p) => tarballs.get(p.name) ?? '',
    );
    npmInstall('npm install testing + pglite', [...others, '@electric-sql/pglite@0.5.16']);
    const installed = sizeOf(join(project, 'node_modules'));
    console.log(
      `pack-install: installed everything (${PACKAGES.map((p) => p.name).join(', ')}, PGlite) ${mb(installed)}`,
    );
    expect(installed).toBeLessThan(BUDGET.installedAll);
    // One copy of core: @helios/testing's dependency is the installed tarball, not a registry package.
    expect(
      existsSync(join(project, 'node_modules/@helios/testing/node_modules/@helios/core')),
    ).toBe(false);

    const esm = node('esm', [
      '--input-type=module',
      '-e',
      "import * as t from '@helios/testing'; console.log(typeof t.createTestDatabase, typeof t.startGraphSimulator)",
    ]);
    expect(esm.stdout.trim()).toBe('function function');
    const cjs = node('cjs', [
      '-e',
      "const t = require('@helios/testing'); console.log(typeof t.createTestDatabase, typeof t.startGraphSimulator)",
    ]);
    expect(cjs.stdout.trim()).toBe('function function');
    if (tarballs.has('@helios/client')) {
      const clientEsm = node('client esm', [
        '--input-type=module',
        '-e',
        "import { createHeliosClient, HeliosApiError } from '@helios/client'; console.log(typeof createHeliosClient, typeof HeliosApiError)",
      ]);
      expect(clientEsm.stdout.trim()).toBe('function function');
      const clientCjs = node('client cjs', [
        '-e',
        "const c = require('@helios/client'); console.log(typeof c.createHeliosClient, typeof c.isHeliosApiError)",
      ]);
      expect(clientCjs.stdout.trim()).toBe('function function');
    }

    // TypeScript as users configure it, without skipLibCheck: ESM and CommonJS files under node16,
    // and bundler resolution.
    const types = `${CORE_TYPES}\n${TESTING_TYPES}${tarballs.has('@helios/client') ? `\n${CLIENT_TYPES}` : ''}`;
    write({
      'types.cts': types,
      'types.mts': types,
      'types.ts': types,
      'shims.d.ts': SHIMS,
      'tsconfig.node16.json': {
        compilerOptions: { ...COMPILER, module: 'node16', moduleResolution: 'node16' },
        files: ['types.cts', 'types.mts', 'shims.d.ts'],
      },
      'tsconfig.bundler.json': {
        compilerOptions: { ...COMPILER, module: 'esnext', moduleResolution: 'bundler' },
        files: ['types.ts', 'shims.d.ts'],
      },
    });
    tsc('tsconfig.node16.json');
    tsc('tsconfig.bundler.json');

    write({ 'connect.mjs': CONNECT });
    const out = JSON.parse(node('connect embedded', ['connect.mjs']).stdout);
    expect(out.users).toEqual(['grace@acme.example', 'ada@acme.example']);
  }, 900_000);
});
