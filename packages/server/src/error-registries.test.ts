import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UNIQUE_CONSTRAINT_CODES } from '@helios/core';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { allErrorCodes, renderErrorCodesMarkdown } from './error-docs';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOC = join(ROOT, 'docs/errors.md');

/**
 * Files still building their errors by hand: other changes rewrite them right now (sync,
 * `helios db`). Their codes are registered already.
 * TODO: converted after the parallel changes merge; then this list goes.
 */
const ALLOWLIST = ['packages/cli/src/db-commands.ts'];
const allowlisted = (file: string) =>
  ALLOWLIST.some((entry) => (entry.endsWith('/') ? file.startsWith(entry) : file === entry));

/** Journaled sync warnings and the CLI's own output codes: not HeliosError codes. */
const NOT_ERROR_CODES = new Set([
  'SYNC.TEXT_SANITIZED',
  'SYNC.LAST_ADMIN_NOT_SUSPENDED',
  'CLI.USAGE',
  'CLI.UNEXPECTED',
]);
const CODE = /^[A-Z][A-Z0-9_]*\.[A-Z][A-Z0-9_]*$/;

/** A registry: `<domain>.errors.ts`, a cloud folder's `errors.ts`, or the error type itself. */
const isRegistry = (file: string) =>
  /(^|\/)([a-z0-9-]+\.)?errors\.ts$/.test(file) || file.startsWith('packages/core/src/errors/');

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (
        entry.name.endsWith('.ts') &&
        !entry.name.endsWith('.test.ts') &&
        !entry.name.endsWith('.d.ts')
      )
        out.push(relative(ROOT, path));
    }
  };
  for (const pkg of readdirSync(join(ROOT, 'packages')))
    if (existsSync(join(ROOT, 'packages', pkg, 'src'))) walk(join(ROOT, 'packages', pkg, 'src'));
  return out.sort();
}

interface Finding {
  file: string;
  line: number;
  text: string;
}

/** `new HeliosError(...)` sites and code literals passed to a call, and every code literal, of a file. */
function scan(file: string): {
  constructions: Finding[];
  literalArguments: Finding[];
  literals: string[];
} {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const constructions: Finding[] = [];
  const literalArguments: Finding[] = [];
  const literals: string[] = [];
  const where = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      if (CODE.test(node.text)) literals.push(node.text);
    }
    if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'HeliosError'
    ) {
      constructions.push({ file, line: where(node), text: node.getText(source).slice(0, 120) });
    }
    if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && node.arguments) {
      for (const argument of node.arguments) {
        if (
          (ts.isStringLiteral(argument) || ts.isNoSubstitutionTemplateLiteral(argument)) &&
          CODE.test(argument.text)
        ) {
          literalArguments.push({
            file,
            line: where(argument),
            text: node.getText(source).slice(0, 120),
          });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { constructions, literalArguments, literals };
}

const files = sourceFiles();
const scans = new Map(files.map((file) => [file, scan(file)]));
const registered = new Map(allErrorCodes().map((entry) => [entry.code, entry]));

describe('error codes come from the registries', () => {
  it('has no `new HeliosError` outside a registry (except the allowlisted files)', () => {
    const found = files
      .filter((file) => !isRegistry(file) && !allowlisted(file))
      .flatMap((file) => scans.get(file)!.constructions);
    expect(
      found,
      'build these errors with a registry factory (`<DOMAIN>_ERRORS.NAME(...)`)',
    ).toEqual([]);
  });

  it('passes no literal error code to a call outside a registry (a helper taking a code is the same literal)', () => {
    const found = files
      .filter((file) => !isRegistry(file) && !allowlisted(file))
      .flatMap((file) => scans.get(file)!.literalArguments);
    expect(
      found,
      'pass the registered factory (e.g. parseInput(schema, input, USERS_ERRORS.INVALID_ID))',
    ).toEqual([]);
  });

  it('registers every error code written anywhere in the sources, the unique constraints’ included', () => {
    const written = new Set(
      [...scans.values()].flatMap((s) => s.literals).filter((code) => !NOT_ERROR_CODES.has(code)),
    );
    for (const code of Object.values(UNIQUE_CONSTRAINT_CODES)) written.add(code);
    const missing = [...written].filter((code) => !registered.has(code)).sort();
    expect(missing, 'add these codes to their domain’s registry').toEqual([]);
  });

  it('defines each code once, as DOMAIN.WHAT, with a meaning for the docs', () => {
    const codes = allErrorCodes();
    const seen = new Map<string, number>();
    for (const { code } of codes) seen.set(code, (seen.get(code) ?? 0) + 1);
    expect([...seen].filter(([, n]) => n > 1).map(([code]) => code)).toEqual([]);
    expect(
      codes.filter((c) => !CODE.test(c.code) && c.code !== '<TABLE>.NOT_FOUND').map((c) => c.code),
    ).toEqual([]);
    expect(codes.filter((c) => c.summary.trim().length < 10).map((c) => c.code)).toEqual([]);
  });

  it('keeps docs/errors.md in step with the registries (UPDATE_DOCS=1 rewrites it)', () => {
    const expected = renderErrorCodesMarkdown();
    if (process.env.UPDATE_DOCS === '1') writeFileSync(DOC, expected);
    const actual = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '';
    expect(
      actual === expected,
      'docs/errors.md is out of date: run UPDATE_DOCS=1 npx vitest run packages/server/src/error-registries.test.ts',
    ).toBe(true);
  });
});
