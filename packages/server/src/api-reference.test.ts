import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from './app';

let t: TestHelios;
let base: string;
let app: ReturnType<typeof createServer>;
let unbuilt: ReturnType<typeof createServer>;

beforeAll(async () => {
  t = await createTestHelios({ setup: false });
  const auth = createHeliosAuth(t.helios, { secret: 's'.repeat(40), baseURL: 'http://localhost' });
  // A stand-in for the TypeDoc output, a secret next to it, and links that point out of it.
  base = mkdtempSync(join(tmpdir(), 'helios-api-reference-'));
  const dir = join(base, 'api');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  mkdirSync(join(dir, 'modules'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Reference</title>');
  writeFileSync(join(dir, 'modules', 'index.html'), '<!doctype html><title>Modules</title>');
  writeFileSync(join(dir, 'assets', 'style.css'), 'body{}');
  writeFileSync(join(dir, 'assets', 'main.js'), 'void 0;');
  writeFileSync(join(dir, 'assets', 'icons.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, 'assets', 'notes.md'), '# not a type TypeDoc writes');
  writeFileSync(join(base, 'secret.html'), 'outside the reference');
  symlinkSync(join(base, 'secret.html'), join(dir, 'linked.html'));
  symlinkSync(base, join(dir, 'up'));
  app = createServer({ helios: t.helios, auth, apiReferenceDir: dir });
  unbuilt = createServer({ helios: t.helios, auth, apiReferenceDir: join(base, 'missing') });
});
afterAll(async () => {
  rmSync(base, { recursive: true, force: true });
  await t.destroy();
});

describe('the API reference at /docs/api', () => {
  it('serves the built pages and assets with their content types and the server CSP', async () => {
    const page = await app.request('/docs/api/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<title>Reference</title>');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toBe((await app.request('/api/v1/docs')).headers.get('content-security-policy'));
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');

    const types = {
      '/docs/api/index.html': 'text/html; charset=utf-8',
      '/docs/api/modules/': 'text/html; charset=utf-8',
      '/docs/api/assets/style.css': 'text/css; charset=utf-8',
      '/docs/api/assets/main.js': 'text/javascript; charset=utf-8',
      '/docs/api/assets/icons.svg': 'image/svg+xml',
    };
    for (const [path, type] of Object.entries(types)) {
      const res = await app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toBe(type);
    }
  });

  it('redirects /docs/api to /docs/api/ so relative links resolve', async () => {
    const res = await app.request('/docs/api');
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/docs/api/');
  });

  it('answers traversal, links out of the directory, unknown types and missing files with 404', async () => {
    const paths = [
      '/docs/api/..%2fsecret.html',
      '/docs/api/%2e%2e/secret.html',
      '/docs/api/..%5csecret.html',
      '/docs/api/assets/..%2f..%2fsecret.html',
      '/docs/api/linked.html',
      '/docs/api/up/secret.html',
      '/docs/api/assets/notes.md',
      '/docs/api/assets/nothing.css',
      '/docs/api/index.html%00.css',
      '/docs/api/%E0%A4%A',
      '/docs/api/assets//style.css',
      '/docs/api/constructor',
      '/docs/api/__proto__',
    ];
    for (const path of paths) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toContain('application/problem+json');
      expect(await res.text(), path).not.toContain('outside the reference');
    }
  });

  it('answers 404 when the reference has not been built', async () => {
    for (const path of ['/docs/api/', '/docs/api/index.html']) {
      const res = await unbuilt.request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toContain('application/problem+json');
    }
  });
});
