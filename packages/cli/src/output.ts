import { isHeliosError } from '@helios/core';
import type { Kysely } from 'kysely';

/** How a command reports: human lines on a terminal, one JSON document with --json. */
export interface Output {
  progress(step: string, done: number, total: number): void;
  result(value: unknown, human: string): void;
  /** Reports a failure; `hint` (what to do about it) follows the message, or is `hint` in the JSON. */
  error(error: unknown, hint?: string): void;
}

export function createOutput(
  json: boolean,
  stream: NodeJS.WriteStream = process.stdout,
  errors: NodeJS.WriteStream = process.stderr,
): Output {
  const interactive = Boolean(errors.isTTY) && !json;
  let drawn = false;
  return {
    progress(step, done, total) {
      if (!interactive) return;
      const width = 24;
      const filled = total > 0 ? Math.round((done / total) * width) : width;
      errors.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${step}\x1b[K`,
      );
      drawn = true;
    },
    result(value, human) {
      if (drawn) errors.write('\r\x1b[K');
      stream.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
    },
    error(error, hint) {
      if (drawn) errors.write('\r\x1b[K');
      const payload = isHeliosError(error)
        ? { error: error.toJSON() }
        : {
            error: {
              kind: 'INTERNAL',
              code: 'CLI.UNEXPECTED',
              message: error instanceof Error ? error.message : String(error),
            },
          };
      if (json) stream.write(`${JSON.stringify(hint ? { ...payload, hint } : payload, null, 2)}\n`);
      else
        errors.write(
          `error: ${payload.error.message}${isHeliosError(error) ? ` [${error.code}]` : ''}\n${hint ? `hint: ${hint}\n` : ''}`,
        );
    },
  };
}

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, drift: 1, failed: 2, usage: 64 } as const;

/** Opens the target, runs `fn`, always closes, and turns any error into one line and exit code 2. */
export async function withDb(
  out: Output,
  target: { label: string; open: () => Kysely<any> },
  fn: (db: Kysely<any>) => Promise<number>,
): Promise<void> {
  let db: Kysely<any> | undefined;
  try {
    db = target.open();
    process.exitCode = await fn(db);
  } catch (error) {
    out.error(error);
    process.exitCode = EXIT.failed;
  } finally {
    await db?.destroy().catch(() => {});
  }
}
