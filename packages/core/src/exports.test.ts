/**
 * The public surface as a visible decision: the sorted export names of every entry point of
 * `@helios/core` (values and types) are compared with `exports.fixture.json`. A change to the surface
 * fails here until the fixture is regenerated with `UPDATE_EXPORTS_FIXTURE=1 npx vitest run
 * packages/core/src/exports.test.ts`, so the diff of the fixture shows up in review.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const fixturePath = join(here, 'exports.fixture.json');
const corePackage = JSON.parse(readFileSync(join(here, '../package.json'), 'utf8')) as {
  exports: Record<string, unknown>;
};

/** `./db` -> `src/db.ts`, `.` -> `src/index.ts`, for every subpath in package.json "exports". */
function entryPoints(): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const subpath of Object.keys(corePackage.exports)) {
    if (subpath === './package.json') continue;
    entries[subpath] = join(here, subpath === '.' ? 'index.ts' : `${subpath.slice(2)}.ts`);
  }
  return entries;
}

function exportNames(): Record<string, { count: number; values: string[]; types: string[] }> {
  const entries = entryPoints();
  const config = ts.readConfigFile(join(here, '../tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, join(here, '..'));
  const program = ts.createProgram(Object.values(entries), { ...parsed.options, noEmit: true });
  const checker = program.getTypeChecker();
  const surface: Record<string, { count: number; values: string[]; types: string[] }> = {};
  for (const [subpath, file] of Object.entries(entries)) {
    const source = program.getSourceFile(file);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`no module for ${subpath} (${file})`);
    const values: string[] = [];
    const types: string[] = [];
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      const target =
        symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      (target.flags & ts.SymbolFlags.Value ? values : types).push(symbol.name);
    }
    values.sort();
    types.sort();
    surface[subpath] = { count: values.length + types.length, values, types };
  }
  return surface;
}

let computed: ReturnType<typeof exportNames> | undefined;
const surfaceOnce = () => {
  computed ??= exportNames();
  return computed;
};

describe('the public exports of @helios/core', () => {
  it('match the committed snapshot (UPDATE_EXPORTS_FIXTURE=1 to record a deliberate change)', () => {
    const surface = surfaceOnce();
    if (process.env.UPDATE_EXPORTS_FIXTURE === '1') {
      writeFileSync(fixturePath, `${JSON.stringify(surface, null, 2)}\n`);
    }
    const fixture = JSON.parse(readFileSync(fixturePath, 'utf8'));
    expect(surface).toEqual(fixture);
  });

  it('keeps the service factories and the sync engine out of the root', () => {
    const root = surfaceOnce()['.'];
    expect(root?.values.filter((name) => /^create.*Service$/.test(name))).toEqual([]);
    expect(root?.values).not.toContain('withSyncLock');
    expect(root?.values).toContain('createHelios');
  });
});
