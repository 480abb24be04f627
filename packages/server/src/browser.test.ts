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
// (.ci/run) and sets CI=true: there a missing Chromium fails the run. Elsewhere (a fresh machine)
// the browser check is reported as not run, with the command that enables it, and the test checks
// the fallback instead: the docs page and every asset it names are served by the server itself.

const CHROMIUM = '/usr/bin/chromium';
const ENABLE = 'install chromium (apt-get install -y chromium) or set CI=true';
const ciRequiresBrowser = /^(1|true|yes)$/i.test(process.env.CI ?? '');

let t: TestHelios;
let server: Server;
let base: string;
let browser: Browser | undefined;

beforeAll(async () => {
  t = await createTestHelios();
  const auth = createHeliosAuth(t.helios, {
    secret: 's'.repeat(40),
    baseURL: 'http://127.0.0.1',
    signInRateLimitPerMinute: 1000,
  });
  const app = createServer({ helios: t.helios, auth, authRateLimitPerMinute: 1000 });
  server = await new Promise<Server>((listening) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      listening(s as Server),
    ) as Server;
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

/** The docs page without a browser: the HTML and every asset it names come from this server. */
async function expectDocsServedOffline(): Promise<void> {
  const res = await fetch(`${base}/api/v1/docs`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/html');
  const html = await res.text();
  const refs = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  expect(refs.length).toBeGreaterThan(0);
  expect(
    refs.filter((ref) => !ref.startsWith('/')),
    'the docs page names assets on other hosts',
  ).toEqual([]);
  for (const ref of refs) expect((await fetch(`${base}${ref}`)).status, ref).toBe(200);
  const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as {
    paths: Record<string, unknown>;
  };
  expect(Object.keys(doc.paths).length).toBeGreaterThan(10);
}

describe('the docs page in headless Chromium', () => {
  it('renders the operations with Swagger UI, offline (required under CI; reported as not run without Chromium elsewhere)', async () => {
    if (!existsSync(CHROMIUM)) {
      expect(
        ciRequiresBrowser,
        `${CHROMIUM} is missing and CI=true requires the browser check: apt-get install -y chromium (.ci/run does)`,
      ).toBe(false);
      console.warn(
        `browser check not run: ${CHROMIUM} is missing; ${ENABLE}. Checked instead: the docs page and its assets are served offline.`,
      );
      await expectDocsServedOffline();
      return;
    }
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

    const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
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
        if (
          await page.evaluate(
            'window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2',
          )
        )
          break;
        await page.mouse.wheel(0, 600);
      }
    }
    expect(
      [...documented].filter((op) => !listed.has(op)).sort(),
      'operations Swagger UI did not list',
    ).toEqual([]);
    expect(listed.has('POST /api/v1/setup')).toBe(true);
    expect(listed.size).toBeGreaterThan(10);

    expect(served).toEqual(
      expect.arrayContaining([
        '/api/v1/docs',
        '/api/v1/docs/assets/swagger-ui-bundle.js',
        '/api/v1/openapi.json',
      ]),
    );
    expect(offHost, `requests to other hosts: ${offHost.join(', ')}`).toEqual([]);
    expect(errors).toEqual([]);
  }, 120_000);
});
