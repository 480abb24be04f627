// Post-processes the declaration files tsup wrote into a package's dist/ (run from the package's
// directory after `tsup`), so the published types resolve as a user's TypeScript sees them:
//
// 1. Bare side-effect imports (`import 'pg';`, `import '@electric-sql/pglite';`) that the
//    declaration bundler leaves behind are dropped: they declare nothing, and one naming an optional
//    peer that is not installed fails the user's typecheck (without skipLibCheck).
// 2. In the CommonJS declarations (`.d.cts`), a type import from an ESM-only package (better-auth)
//    gets `with { 'resolution-mode': 'import' }`: without it TypeScript's node16/nodenext CommonJS
//    resolution reports TS1479 ("the referenced file is an ECMAScript module"). The runtime `require`
//    works on the Node versions the packages support (require(esm), Node >= 20.19); the attribute
//    needs TypeScript >= 5.3 on the user's side.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const pkgDir = resolve(process.argv[2] ?? '.');
const dist = join(pkgDir, 'dist');
const require = createRequire(join(pkgDir, 'package.json'));

const esmOnly = new Map();
/** True when `spec`, required from this package, loads an ES module (so its types are ESM too). */
function isEsmUnderRequire(spec) {
  if (esmOnly.has(spec)) return esmOnly.get(spec);
  let esm = false;
  try {
    const file = require.resolve(spec);
    esm =
      file.endsWith('.mjs') || (file.endsWith('.js') && nearestType(dirname(file)) === 'module');
  } catch {
    esm = false; // not resolvable here (an optional peer): leave the import as written
  }
  esmOnly.set(spec, esm);
  return esm;
}

function nearestType(dir) {
  for (let d = dir; ; d = dirname(d)) {
    try {
      return JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).type ?? 'commonjs';
    } catch {
      if (dirname(d) === d) return 'commonjs';
    }
  }
}

const bare = (spec) => !spec.startsWith('.') && !spec.startsWith('/');
let changed = 0;
for (const name of readdirSync(dist)) {
  if (!name.endsWith('.d.ts') && !name.endsWith('.d.cts')) continue;
  const file = join(dist, name);
  if (!statSync(file).isFile()) continue;
  const before = readFileSync(file, 'utf8');
  let text = before.replace(/^import '([^']+)';\n/gm, (line, spec) => (bare(spec) ? '' : line));
  if (name.endsWith('.d.cts')) {
    text = text.replace(
      /^(import|export)( type)? ([^;]*?) from '([^']+)';$/gm,
      (line, kw, _type, what, spec) =>
        bare(spec) && isEsmUnderRequire(spec)
          ? `${kw} type ${what} from '${spec}' with { 'resolution-mode': 'import' };`
          : line,
    );
  }
  if (text !== before) {
    writeFileSync(file, text);
    changed++;
  }
}
console.log(`fix-dts: ${changed} declaration files rewritten in ${dist}`);
