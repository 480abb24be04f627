/**
 * The interactive API docs at /api/v1/docs: Swagger UI whose assets the server serves itself (from
 * the swagger-ui-dist package), so the docs work offline and under a strict Content-Security-Policy
 * (no inline script, no CDN).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Hono } from 'hono';

const require = createRequire(import.meta.url);

function assetDir(): string {
  const pkg = require.resolve('swagger-ui-dist/package.json');
  return join(pkg, '..');
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Helios API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/api/v1/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/v1/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/v1/docs/assets/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#swagger-ui', deepLinking: true, withCredentials: true });\n`;

/** Mounts the docs page and its assets. */
export function mountDocs(app: Hono<any>): void {
  const dir = assetDir();
  // A Map, not an object: a request for `constructor` or `__proto__` must not find Object's members.
  const assets = new Map<string, { body: Buffer | string; type: string }>([
    [
      'swagger-ui.css',
      { body: readFileSync(join(dir, 'swagger-ui.css')), type: 'text/css; charset=utf-8' },
    ],
    [
      'swagger-ui-bundle.js',
      {
        body: readFileSync(join(dir, 'swagger-ui-bundle.js')),
        type: 'text/javascript; charset=utf-8',
      },
    ],
    ['init.js', { body: INIT, type: 'text/javascript; charset=utf-8' }],
  ]);
  app.get('/api/v1/docs', (c) => c.html(PAGE));
  app.get('/api/v1/docs/assets/:file', (c) => {
    const asset = assets.get(c.req.param('file'));
    if (!asset) return c.notFound();
    return c.body(typeof asset.body === 'string' ? asset.body : new Uint8Array(asset.body), 200, {
      'content-type': asset.type,
      'cache-control': 'public, max-age=86400',
    });
  });
}
