/**
 * The SDK's TypeDoc reference at /docs/api: the static files `npm run docs` writes to docs/api,
 * served when that build output exists (a 404 otherwise). Only files under the directory, only
 * known file types, each with its own content type; the server's Content-Security-Policy applies
 * as on every page (TypeDoc's small inline theme script is refused by it; the page works without).
 */
import { realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';

/** The URL path the reference is served under. */
const MOUNT = '/docs/api';

/** The file types TypeDoc writes, and nothing else. */
const CONTENT_TYPES = new Map<string, string>([
  ['.html', 'text/html; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.svg', 'image/svg+xml'],
  ['.json', 'application/json; charset=utf-8'],
  ['.png', 'image/png'],
  ['.ico', 'image/x-icon'],
  ['.woff2', 'font/woff2'],
  ['.txt', 'text/plain; charset=utf-8'],
]);

/** A path segment is a plain file or folder name: no dot segments, separators, NUL or control characters. */
function isSafeSegment(name: string): boolean {
  if (name.length === 0 || name.length > 255 || name === '.' || name === '..') return false;
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 0x20 || ch === 0x7f || name[i] === '/' || name[i] === '\\') return false;
  }
  return true;
}

/** docs/api of the repository this server runs from (packages/server/{src,dist} -> ../../../docs/api). */
export function defaultApiReferenceDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'api');
}

/**
 * The file under `root` that `segments` (still percent-encoded) name, or null when a segment is
 * unsafe, the file does not exist, is not a regular file, or resolves (through a link) outside `root`.
 */
function resolveFile(root: string, segments: readonly string[]): string | null {
  const names: string[] = [];
  for (const raw of segments) {
    let name: string;
    try {
      name = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (!isSafeSegment(name)) return null;
    names.push(name);
  }
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return null; // the reference is not built
  }
  let candidate = join(realRoot, ...names);
  try {
    if (statSync(candidate).isDirectory()) candidate = join(candidate, 'index.html');
    const real = realpathSync(candidate);
    if (!real.startsWith(realRoot + sep)) return null;
    return statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}

/**
 * Mounts the TypeDoc reference found in `dir` at /docs/api (`/docs/api` redirects to `/docs/api/`
 * so the pages' relative links resolve). The directory is looked up on each request, so a
 * reference built after the server started is served too.
 */
export function mountApiReference(app: Hono<any>, dir: string): void {
  const root = resolve(dir);
  // routePath is the registered pattern, with the prefix of a parent app (`app.route('/portal', ...)`).
  app.get(MOUNT, (c) => c.redirect(`${c.req.routePath}/`, 301));
  app.get(`${MOUNT}/*`, async (c) => {
    const base = c.req.routePath.slice(0, -'/*'.length);
    // The raw path (still encoded): `%2f` or `%5c` must be judged after decoding, per segment.
    const pathname = new URL(c.req.url).pathname;
    if (!pathname.startsWith(`${base}/`)) return c.notFound();
    const rest = pathname.slice(base.length + 1);
    const segments = rest === '' ? [] : rest.split('/');
    if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
    if (segments.length > 32) return c.notFound();
    const file = resolveFile(root, segments);
    const type = file ? CONTENT_TYPES.get(extname(file).toLowerCase()) : undefined;
    if (!file || !type) return c.notFound();
    const body = await readFile(file);
    return c.body(new Uint8Array(body), 200, {
      'content-type': type,
      'cache-control': 'public, max-age=300',
    });
  });
}
