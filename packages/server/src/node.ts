/**
 * Running the server on Node: open Helios (installing the schema on first run), optionally create the
 * organization and first admin from the environment, listen, and shut down gracefully (stop taking
 * connections, let requests in flight finish, flush batched writes, close the pool).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AnyTaskDefinition,
  consoleLogger,
  createHelios,
  GOOGLE_MODULE_SLUG,
  GOOGLE_SYNC_ACTION,
  type Helios,
  type Logger,
  MICROSOFT_MODULE_SLUG,
  MICROSOFT_SYNC_ACTION,
} from '@helios/core';
import { createHeliosAuth } from '@helios/core/auth';
import { closeInterruptedSyncRuns } from '@helios/core/internal';
import { serve } from '@hono/node-server';
import { createServer } from './app';
import type { ServerConfig } from './config';

/** A running server. */
export interface RunningServer {
  /** The URL it listens on. */
  url: string;
  /** The public URL (HELIOS_PUBLIC_URL, else derived from the bound address). */
  publicUrl: string;
  helios: Helios;
  /** Whether first-run setup is still needed. */
  setupNeeded: boolean;
  /** Stops gracefully: waits up to `graceMs` (default 10 s) for requests in flight. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts the portal API.
 *
 * @example
 * ```ts
 * const server = await startServer(loadConfig());
 * process.on('SIGTERM', () => server.close());
 * ```
 */
export async function startServer(
  config: ServerConfig,
  options: { logger?: Logger; tasks?: readonly AnyTaskDefinition[] } = {},
): Promise<RunningServer> {
  const logger = options.logger ?? consoleLogger(config.production ? 'info' : 'warn');
  const helios = await createHelios({
    jobs: { tasks: options.tasks ?? [] },
    ...(config.databaseUrl
      ? { databaseUrl: config.databaseUrl, install: true }
      : { embedded: { dataDir: config.dataDir } }),
    encryptionKey: config.encryptionKey,
    ...(config.auditKey ? { auditKey: config.auditKey } : {}),
    previousEncryptionKeys: config.previousEncryptionKeys,
    integrations: config.integrations,
    logger,
  });
  try {
    // Syncs a stopped process left `running` are closed as failed (a live one elsewhere keeps its lock).
    await closeInterruptedSyncRuns(
      helios.db,
      [
        { moduleSlug: GOOGLE_MODULE_SLUG, action: GOOGLE_SYNC_ACTION },
        { moduleSlug: MICROSOFT_MODULE_SLUG, action: MICROSOFT_SYNC_ACTION },
      ],
      new Date(),
    ).catch((error: unknown) =>
      logger.warn('Could not close interrupted sync runs', {
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    let status = await helios.organizations.setupStatus();
    if (!status.hasOrganization && config.bootstrap) {
      const [first, ...rest] = config.bootstrap.email.split('@')[0]!.split(/[._-]/);
      await helios.organizations.setup({
        organizationName: config.bootstrap.organizationName,
        organizationDomain: config.bootstrap.organizationDomain,
        admin: {
          email: config.bootstrap.email,
          firstName: first || 'Admin',
          lastName: rest.join(' ') || 'Admin',
          password: config.bootstrap.password,
        },
      });
      status = await helios.organizations.setupStatus();
    }
    // Listen first (the handler is set once the public URL is known: with PORT 0 it names the bound port).
    let handler: ((request: Request, env: unknown) => Response | Promise<Response>) | null = null;
    const server = await new Promise<Server>((resolveListen, reject) => {
      const s = serve(
        {
          // The env carries the Node request/response (the client address for rate limits).
          fetch: (request, env) =>
            handler
              ? handler(request, env)
              : new Response('Starting', { status: 503, headers: { 'retry-after': '1' } }),
          port: config.port,
          hostname: config.host,
        },
        () => resolveListen(s as Server),
      ) as Server;
      s.once('error', reject);
    });
    const bound = server.address() as AddressInfo;
    const publicUrl =
      config.publicUrlExplicit || config.port !== 0
        ? config.publicUrl
        : config.publicUrl.replace(/:0$/, `:${bound.port}`);
    try {
      if (status.hasOrganization) {
        const system = helios.as({ type: 'system', name: 'server' });
        const current = await system.organizations.settings.get('portal.public_url');
        if (current?.value !== publicUrl)
          await system.organizations.settings.set({ key: 'portal.public_url', value: publicUrl });
      }
      const auth = createHeliosAuth(helios, {
        secret: config.authSecret,
        baseURL: publicUrl,
        trustedOrigins: config.corsOrigins,
      });
      const app = createServer({
        helios,
        auth,
        publicUrl,
        corsOrigins: config.corsOrigins,
        trustProxy: config.trustProxy,
        logger,
      });
      handler = (request, env) => app.fetch(request, env as never);
      // One box, one command: the job worker runs in this process unless HELIOS_WORKER=off.
      if (config.worker.enabled)
        await helios.jobs.start({ concurrency: config.worker.concurrency });
    } catch (error) {
      server.close();
      throw error;
    }
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    let closing: Promise<void> | null = null;
    return {
      url: `http://${host}:${address.port}`,
      publicUrl,
      helios,
      setupNeeded: !status.isSetupComplete,
      close: (graceMs = 10_000) => {
        closing ??= (async () => {
          await new Promise<void>((done) => {
            const force = setTimeout(() => server.closeAllConnections(), graceMs);
            force.unref();
            server.close(() => {
              clearTimeout(force);
              done();
            });
            server.closeIdleConnections();
          });
          await helios.jobs.stop();
          await helios.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await helios.close();
    throw error;
  }
}
