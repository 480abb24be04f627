/**
 * Runs the built `helios` command as a user would (npm test builds first), for the CLI's tests:
 * a child process with this process's environment minus its database, schema, key and
 * integration settings (each test passes what the command should see).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** What a `helios` run printed and how it exited. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a child `helios`: this process's, without its Helios settings, plus `env`. */
export function childEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const {
    DATABASE_URL: _url,
    HELIOS_SCHEMA_DIR: _dir,
    HELIOS_ENCRYPTION_KEY: _key,
    HELIOS_GOOGLE_API_ROOT: _root,
    HELIOS_GOOGLE_TOKEN_URL: _token,
    HELIOS_MICROSOFT_GRAPH_URL: _graph,
    HELIOS_MICROSOFT_LOGIN_URL: _login,
    ...base
  } = process.env;
  return { ...base, ...env };
}

/** Runs `helios <args>` in `cwd` and waits for it to exit. */
export function helios(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: childEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The path of the built command (for tests that spawn it themselves, e.g. a long-running worker). */
export const heliosBin = bin;

/** True when the suite runs on PostgreSQL (several processes can share the database). */
export const onPostgres =
  (inject('heliosTestDatabase' as never) as { backend: string } | undefined)?.backend ===
  'postgres';
