/**
 * The test files that never touch a database: neither the file nor the local modules it imports
 * (followed three levels deep, e.g. a `*.test-kit.ts`) mention a test database helper, createHelios,
 * createDb, DATABASE_URL or the embedded backend. CI's second pass (the embedded database) skips
 * them: the PostgreSQL pass ran them already, and they would prove nothing new. Conservative by
 * construction: a file that mentions any marker runs in both passes.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const MARKERS =
  /createTestDatabase|createTestHelios|TestDatabase|testDatabase|heliosTestDatabase|createHelios|createDb|DATABASE_URL|onPostgres|connectionString|PGlite|pglite|embedded/;

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(path));
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** The database-free test files under `root`/packages/<pkg>/src, relative to `root`. */
export function databaseFreeTests(root: string): string[] {
  const memo = new Map<string, boolean>();
  const touches = (file: string, depth: number): boolean => {
    const known = memo.get(file);
    if (known !== undefined) return known;
    memo.set(file, false);
    const text = readFileSync(file, 'utf8');
    let found = MARKERS.test(text);
    if (!found && depth < 3)
      for (const [, spec] of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const base = resolve(dirname(file), spec as string);
        const target = [base, `${base}.ts`, join(base, 'index.ts')].find(
          (p) => p.endsWith('.ts') && existsSync(p),
        );
        if (target && touches(target, depth + 1)) {
          found = true;
          break;
        }
      }
    memo.set(file, found);
    return found;
  };
  const packages = join(root, 'packages');
  return readdirSync(packages)
    .map((pkg) => join(packages, pkg, 'src'))
    .filter((src) => existsSync(src))
    .flatMap(testFiles)
    .filter((file) => !touches(file, 0))
    .map((file) => relative(root, file))
    .sort();
}
