/**
 * Runs the `helios` command for the CLI's tests, two ways: `helios` runs the program in this
 * process (argv, environment, working directory, stdout/stderr and exit code swapped in for the
 * run, one run at a time), `heliosProcess` runs the built command as a user would (npm test builds
 * first), a child process. Both see this process's environment minus its database, schema, key and
 * integration settings (each test passes what the command should see). Each test file keeps a few
 * child-process runs (the binary, exit codes, signals); the rest run in process, which saves a
 * Node start and module load per command.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Command, CommanderError } from 'commander';
import { inject } from 'vitest';
import { createProgram } from './index';

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

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `helios <args>` in `cwd` in this process, as the built command would: the environment is
 * `childEnv(env)` for the run, what the program writes to stdout/stderr is captured, and the exit
 * code is the program's `process.exitCode` (a usage error or --help: commander's exit code).
 */
export function helios(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const run = queue.then(() => runInProcess(args, cwd, env));
  queue = run.catch(() => {});
  return run;
}

async function runInProcess(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  const saved = {
    env: process.env,
    cwd: process.cwd(),
    exitCode: process.exitCode,
    out: process.stdout.write,
    err: process.stderr.write,
  };
  let stdout = '';
  let stderr = '';
  const capture =
    (append: (text: string) => void) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    };
  const program = createProgram();
  const exitOverride = (command: Command): void => {
    command.exitOverride();
    for (const sub of command.commands) exitOverride(sub);
  };
  exitOverride(program);
  let code: number;
  process.env = childEnv(env);
  process.chdir(cwd);
  process.exitCode = undefined;
  process.stdout.write = capture((t) => (stdout += t)) as typeof process.stdout.write;
  process.stderr.write = capture((t) => (stderr += t)) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'helios', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) code = error.exitCode;
    else {
      stderr += `error: ${error instanceof Error ? error.message : String(error)}\n`;
      code = 2;
    }
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.exitCode = saved.exitCode;
    process.chdir(saved.cwd);
    process.env = saved.env;
  }
  return { code, stdout, stderr };
}

/** Runs the built `helios <args>` in a child process in `cwd` and waits for it to exit. */
export function heliosProcess(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Run> {
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
