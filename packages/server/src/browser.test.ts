import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, type TestHelios } from '@helios/testing';
import { serve } from '@hono/node-server';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from './app';

// The docs page in a real browser: Debian's Chromium (headless, through playwright-core) opens
// /api/v1/docs on the server listening on 127.0.0.1, Swagger UI renders the operations, and the
// page asks no other host for anything (the portal must work offline). CI installs Chromium
// (.ci/run); without it this test fails rather than skips.

const CHROMIUM = '/usr/bin/chromium';

let t: TestHelios;
let server: Server;
let base: string;
let browser: Browser | undefined;

beforeAll(async () => {
  t = await createTestHelios();
  const auth = createHeliosAuth(t.helios, { secret: 's'.repeat(40), baseURL: 'http://127.0.0.1', signInRateLimitPerMinute: 1000 });
  const app = createServer({ helios: t.helios, auth, authRateLimitPerMinute: 1000 });
  server = await new Promise<Server>((listening) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => listening(s as Server)) as Server;
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((done) => {
    if (!server) return done();
    server.close(() => done());
    server.closeAllConnections();
  });
  await t?.destroy();
});

describe('the docs page in headless Chromium', () => {
  it('renders the operations with Swagger UI, offline', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`).toBe(true);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    const offHost: string[] = [];
    const served: string[] = [];
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') {
        served.push(url.pathname);
        await route.continue();
      } else if (url.protocol === 'data:' || url.protocol === 'blob:') {
        await route.continue();
      } else {
        offHost.push(url.href);
        await route.abort('blockedbyclient');
      }
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));

    const res = await page.goto(`${base}/api/v1/docs`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    await page.waitForSelector('.opblock', { timeout: 30_000 });

    const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`)));
    expect(documented.size).toBeGreaterThan(10);
    expect(await page.locator('.info .title').textContent()).toContain('Helios portal API');

    // Swagger UI renders the operations near the viewport only: scroll through the whole page and
    // collect every operation it shows (method and path).
    const listed = new Set<string>();
    const collect = async () => {
      const seen = await page
        .locator('.opblock .opblock-summary')
        .evaluateAll((els: any[]) =>
          els.map(
            (e) =>
              `${e.querySelector('.opblock-summary-method')?.textContent ?? ''} ${e.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? ''}`,
          ),
        );
      for (const op of seen) listed.add(op);
    };
    for (let pass = 0; pass < 3 && listed.size < documented.size; pass++) {
      await page.evaluate('window.scrollTo(0, 0)');
      for (let step = 0; step < 1000; step++) {
        await page.waitForTimeout(100);
        await collect();
        if (await page.evaluate('window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2')) break;
        await page.mouse.wheel(0, 600);
      }
    }
    expect([...documented].filter((op) => !listed.has(op)).sort(), 'operations Swagger UI did not list').toEqual([]);
    expect(listed.has('POST /api/v1/setup')).toBe(true);
    expect(listed.size).toBeGreaterThan(10);

    expect(served).toEqual(expect.arrayContaining(['/api/v1/docs', '/api/v1/docs/assets/swagger-ui-bundle.js', '/api/v1/openapi.json']));
    expect(offHost, `requests to other hosts: ${offHost.join(', ')}`).toEqual([]);
    expect(errors).toEqual([]);
  }, 120_000);
});
