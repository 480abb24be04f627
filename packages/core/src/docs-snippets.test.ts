/**
 * The documented code compiles and runs. A ```ts block of README.md or docs/*.md tagged
 * `runnable` or `typecheck` is part of its document's program:
 *
 * - `ts runnable` blocks run, in the order of the document, as one program (like a notebook: a later
 *   block uses the names of an earlier one), on a fresh in-memory embedded database: the program's
 *   `databaseUrl: process.env.DATABASE_URL!` becomes `embedded: {}` when it runs (not when it is
 *   checked);
 * - `ts typecheck` blocks are compiled at their place in that program but never run (they need a
 *   cloud, a server or data the document does not create); each is its own block scope.
 *
 * Every program is type-checked in one `tsc` run against the built packages (`dist`, as a user
 * installs them), in a temporary directory whose node_modules links to the workspace packages.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

interface Snippet {
  mode: 'runnable' | 'typecheck';
  line: number;
  code: string;
}

/** The tagged ```ts blocks of a markdown file, in order. */
function taggedSnippets(markdown: string): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```ts\s+(runnable|typecheck)\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end]?.startsWith('```')) end++;
    snippets.push({
      mode: open[1] as Snippet['mode'],
      line: start + 1,
      code: lines.slice(start, end).join('\n'),
    });
    i = end;
  }
  return snippets;
}

const IMPORT = /^import\s[\s\S]*?from\s+'[^']+';\s*$/gm;

/** One module per document: the imports of every block hoisted (named imports merged per module), then the blocks in order. */
function program(doc: string, snippets: Snippet[]): string {
  const imports = new Set<string>();
  const named = new Map<string, Set<string>>();
  const body: string[] = [];
  for (const s of snippets) {
    for (const m of s.code.match(IMPORT) ?? []) {
      const parts = /^import\s*\{([^}]*)\}\s*from\s+'([^']+)';/.exec(m.trim());
      if (!parts) {
        imports.add(m.trim());
        continue;
      }
      const names = named.get(parts[2] as string) ?? new Set<string>();
      for (const name of (parts[1] as string).split(',')) if (name.trim()) names.add(name.trim());
      named.set(parts[2] as string, names);
    }
    const code = s.code.replace(IMPORT, '').trim();
    body.push(`// ${doc}:${s.line} (${s.mode})`);
    body.push(s.mode === 'runnable' ? code : `if (false as boolean) {\n${code}\n}`);
  }
  for (const [module, names] of named)
    imports.add(`import { ${[...names].join(', ')} } from '${module}';`);
  return `${[...imports].join('\n')}\n\n${body.join('\n')}\nexport {};\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'helios-docs-'));
const programs = documents
  .map((doc) => ({ doc, snippets: taggedSnippets(readFileSync(join(root, doc), 'utf8')) }))
  .filter((p) => p.snippets.length > 0)
  .map((p) => ({ ...p, file: `${basename(p.doc, '.md').toLowerCase()}.mts` }));
let compile: { status: number | null; output: string } | undefined;

beforeAll(() => {
  expect(
    existsSync(join(root, 'packages/core/dist/index.d.ts')),
    'build first (npm test builds)',
  ).toBe(true);
  const scope = join(dir, 'node_modules/@helios');
  mkdirSync(scope, { recursive: true });
  for (const pkg of ['core', 'testing'])
    symlinkSync(join(root, 'packages', pkg), join(scope, pkg), 'dir');
  const config = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')],
      outDir: 'out',
      rootDir: '.',
    },
    files: programs.map((p) => p.file),
  };
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config, null, 2));
  for (const p of programs) writeFileSync(join(dir, p.file), program(p.doc, p.snippets));
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir, '--pretty', 'false'],
    {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  compile = { status: tsc.status, output: `${tsc.stdout}${tsc.stderr}` };
}, 150_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the documented snippets', () => {
  it('finds tagged snippets in README.md and docs/sdk.md', () => {
    const docs = programs.map((p) => p.doc);
    expect(docs).toContain('README.md');
    expect(docs).toContain('docs/sdk.md');
    for (const p of programs.filter((p) => p.doc === 'docs/sdk.md' || p.doc === 'README.md')) {
      expect(p.snippets.some((s) => s.mode === 'runnable')).toBe(true);
    }
  });

  it('type-check against the built packages (one tsc run)', () => {
    // The generated programs are in the message of a failure: `// <doc>:<line>` marks each block.
    expect(compile?.output.trim() ?? 'no compile', compile?.output).toBe('');
    expect(compile?.status).toBe(0);
  });

  for (const p of programs.filter((p) => p.snippets.some((s) => s.mode === 'runnable'))) {
    it(`run: the runnable blocks of ${p.doc} on an embedded in-memory database`, () => {
      expect(compile?.status, 'compiles first').toBe(0);
      const outFile = join(dir, 'out', p.file.replace(/\.mts$/, '.mjs'));
      const js = readFileSync(outFile, 'utf8').replaceAll(
        'databaseUrl: process.env.DATABASE_URL',
        'embedded: {}',
      );
      writeFileSync(outFile, js);
      const env = { ...process.env };
      delete env.DATABASE_URL;
      const run = spawnSync(process.execPath, [outFile], {
        cwd: dir,
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    }, 150_000);
  }
});
