import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dockerAnswers, dockerEndpoint, startPostgresContainer } from './container';
import { PROVIDE_KEY, type TestDatabaseConfig } from './shared';

const dir = mkdtempSync(join(tmpdir(), 'helios-docker-'));
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

/** An HTTP server on a unix socket, answering the way `handler` says (a Docker engine's ping is `200 OK`). */
async function socketServer(
  name: string,
  handler: Parameters<typeof createServer>[1],
): Promise<string> {
  const socketPath = join(dir, name);
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return socketPath;
}

describe('the Docker engine detection of the test harness', () => {
  it('reads DOCKER_HOST (unix and tcp) and leaves other schemes alone', () => {
    expect(dockerEndpoint({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toEqual({
      socketPath: '/run/user/1000/docker.sock',
    });
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://10.0.0.5:2376' })).toEqual({
      host: '10.0.0.5',
      port: 2376,
    });
    expect(dockerEndpoint({ DOCKER_HOST: 'ssh://me@host' })).toBeNull();
  });

  it('is "no Docker" when nothing listens, the answer is not the ping, or it never comes', async () => {
    expect(await dockerAnswers({ socketPath: join(dir, 'nothing.sock') })).toBe(false);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    expect(await dockerAnswers({ host: '127.0.0.1', port })).toBe(false);
    const notDocker = await socketServer('not-docker.sock', (_req, res) =>
      res.writeHead(404).end('not found'),
    );
    expect(await dockerAnswers({ socketPath: notDocker })).toBe(false);
    const silent = await socketServer('silent.sock', () => {});
    expect(await dockerAnswers({ socketPath: silent }, 200)).toBe(false);
  });

  it('is "Docker" when GET /_ping answers 200 OK', async () => {
    const engine = await socketServer('engine.sock', (req, res) =>
      req.url === '/_ping' ? res.writeHead(200).end('OK') : res.writeHead(404).end(),
    );
    expect(await dockerAnswers({ socketPath: engine })).toBe(true);
  });

  it('starts no container when disabled, without Docker, or without @testcontainers/postgresql (not installed in this repository)', async () => {
    expect(await startPostgresContainer({ HELIOS_TEST_CONTAINERS: 'off' })).toEqual({
      reason: 'disabled',
    });
    expect(
      await startPostgresContainer({ DOCKER_HOST: `unix://${join(dir, 'nothing.sock')}` }),
    ).toEqual({ reason: 'no-docker' });
    const engine = await socketServer('engine2.sock', (_req, res) => res.writeHead(200).end('OK'));
    expect(await startPostgresContainer({ DOCKER_HOST: `unix://${engine}` })).toEqual({
      reason: 'not-installed',
    });
  });

  it('this run: PostgreSQL from DATABASE_URL, else embedded when no Docker engine answers', async () => {
    const config = inject(PROVIDE_KEY as never) as TestDatabaseConfig;
    if (process.env.DATABASE_URL) expect(config.backend).toBe('postgres');
    else if (!(await dockerAnswers())) expect(config.backend).toBe('embedded');
    else expect(['postgres', 'embedded']).toContain(config.backend); // a container, or embedded without @testcontainers/postgresql
  });
});
