/**
 * PostgreSQL in a container for the test harness (testcontainers): when DATABASE_URL is unset and a
 * Docker engine answers, tests run on a real PostgreSQL started for the run instead of the embedded
 * default. `@testcontainers/postgresql` is an optional peer dependency, loaded only then; without
 * it (or without Docker, or with HELIOS_TEST_CONTAINERS=off) the harness stays embedded.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';

/** The optional package that starts the container. */
export const CONTAINERS_PACKAGE = '@testcontainers/postgresql';

/** The image the harness starts (override with HELIOS_TEST_POSTGRES_IMAGE). */
export const POSTGRES_IMAGE = 'postgres:17-alpine';

/** Where a Docker engine would answer: DOCKER_HOST (unix:// or tcp://), else the default socket. */
export function dockerEndpoint(
  env: NodeJS.ProcessEnv = process.env,
): { socketPath: string } | { host: string; port: number } | null {
  const host = env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host?.startsWith('tcp://')) {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  if (host) return null; // ssh:// and npipe:// are left to testcontainers' own detection: not probed here
  return existsSync('/var/run/docker.sock') ? { socketPath: '/var/run/docker.sock' } : null;
}

/**
 * True when a Docker engine answers its ping (`GET /_ping` -> `OK`) within `timeoutMs`. Nothing
 * listening, a refused connection, another answer or a timeout are all "no Docker".
 */
export function dockerAnswers(endpoint = dockerEndpoint(), timeoutMs = 1500): Promise<boolean> {
  if (!endpoint) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request(
      { ...endpoint, path: '/_ping', method: 'GET', timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve(res.statusCode === 200 && body.trim() === 'OK'));
        res.on('error', () => resolve(false));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** A running PostgreSQL container: its superuser URL, and how to stop it. */
export interface PostgresContainer {
  url: string;
  stop(): Promise<void>;
}

interface ContainersModule {
  PostgreSqlContainer: new (
    image: string,
  ) => { start(): Promise<{ getConnectionUri(): string; stop(): Promise<unknown> }> };
}

/** Why the harness did not use a container (for the one line it prints), or the container. */
export type ContainerChoice =
  | { container: PostgresContainer }
  | { reason: 'disabled' | 'no-docker' | 'not-installed' };

/**
 * Starts PostgreSQL in a container when the environment allows it: HELIOS_TEST_CONTAINERS is not
 * `off`, a Docker engine answers, and `@testcontainers/postgresql` is installed. A container that
 * fails to start is an error (Docker answered, so that is a real problem to see).
 */
export async function startPostgresContainer(
  env: NodeJS.ProcessEnv = process.env,
): Promise<ContainerChoice> {
  if (env.HELIOS_TEST_CONTAINERS === 'off') return { reason: 'disabled' };
  if (!(await dockerAnswers(dockerEndpoint(env)))) return { reason: 'no-docker' };
  let containers: ContainersModule;
  try {
    // A variable specifier: the optional package is resolved at run time only, never by a bundler.
    const name = CONTAINERS_PACKAGE;
    containers = (await import(/* @vite-ignore */ name)) as ContainersModule;
  } catch (error) {
    // Node says ERR_MODULE_NOT_FOUND; under vitest, Vite says "Could not resolve" (no code).
    const { code, message } = error as { code?: string; message?: string };
    const missing =
      code === 'ERR_MODULE_NOT_FOUND' ||
      code === 'MODULE_NOT_FOUND' ||
      /could not resolve|cannot find/i.test(String(message));
    if (missing && String(message).includes(CONTAINERS_PACKAGE)) return { reason: 'not-installed' };
    throw error;
  }
  const started = await new containers.PostgreSqlContainer(
    env.HELIOS_TEST_POSTGRES_IMAGE ?? POSTGRES_IMAGE,
  ).start();
  return {
    container: { url: started.getConnectionUri(), stop: async () => void (await started.stop()) },
  };
}
