import { isHeliosError } from '@helios/core';
import { redactUrl } from '@helios/core/db';
import { loadConfig, startServer } from '@helios/server';
import type { Command } from 'commander';
import { EXIT, type Output } from './output';

interface ServeOptions {
  port?: string;
  host?: string;
  databaseUrl?: string;
  json?: boolean;
}

/**
 * `helios serve` (and `helios start`, what `npm start` runs): serves the portal API on the
 * configured database (the embedded default in .helios/data without DATABASE_URL), installing the
 * schema on first run; prints the setup URL while no organization exists.
 */
export function registerStartCommand(
  program: Command,
  makeOutput: (json: boolean) => Output,
): void {
  for (const name of ['serve', 'start']) {
    program
      .command(name)
      .description(
        name === 'serve'
          ? 'serve the portal API (configuration from the environment: PORT, DATABASE_URL, HELIOS_ENCRYPTION_KEY, BETTER_AUTH_SECRET, HELIOS_PUBLIC_URL, HELIOS_CORS_ORIGINS, NODE_ENV)'
          : 'the same as serve (what `npm start` runs)',
      )
      .option('--port <port>', 'port to listen on (default: $PORT, else 3000)')
      .option('--host <host>', 'address to listen on (default: $HOST, else 127.0.0.1)')
      .option(
        '--database-url <url>',
        'PostgreSQL URL (default: $DATABASE_URL, else the embedded database in .helios/data)',
      )
      .option('--json', 'print one JSON line when listening')
      .action(async (opts: ServeOptions) => {
        const out = makeOutput(Boolean(opts.json));
        const env = {
          ...process.env,
          ...(opts.port !== undefined ? { PORT: opts.port } : {}),
          ...(opts.host !== undefined ? { HOST: opts.host } : {}),
          ...(opts.databaseUrl !== undefined ? { DATABASE_URL: opts.databaseUrl } : {}),
        };
        let server: Awaited<ReturnType<typeof startServer>>;
        try {
          const logger = {
            debug() {},
            info() {},
            warn: (message: string) => process.stderr.write(`warning: ${message}\n`),
            error: (message: string, fields?: Record<string, unknown>) =>
              process.stderr.write(`error: ${message} ${fields ? JSON.stringify(fields) : ''}\n`),
          };
          const config = loadConfig(env, { logger });
          server = await startServer(config, { logger });
          const database = config.databaseUrl
            ? redactUrl(config.databaseUrl)
            : `embedded (${config.dataDir})`;
          const lines = [
            `Helios is serving the portal API on ${server.url} (public URL ${server.publicUrl})`,
            `Database: ${database}`,
            `API docs: ${server.publicUrl}/api/v1/docs`,
            server.setupNeeded
              ? `Setup needed: POST ${server.publicUrl}/api/v1/setup (see the README), or restart with HELIOS_ADMIN_EMAIL and HELIOS_ADMIN_PASSWORD`
              : 'Organization set up: sign in with POST /api/auth/sign-in/email',
          ];
          out.result(
            {
              url: server.url,
              publicUrl: server.publicUrl,
              database,
              setupNeeded: server.setupNeeded,
            },
            lines.join('\n'),
          );
        } catch (error) {
          out.error(error);
          process.exitCode = isHeliosError(error) ? EXIT.failed : EXIT.failed;
          return;
        }
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          process.stderr.write(`${signal}: shutting down (finishing requests in flight)\n`);
          server.close().then(
            () => process.exit(0),
            () => process.exit(EXIT.failed),
          );
        };
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGTERM', () => stop('SIGTERM'));
      });
  }
}
