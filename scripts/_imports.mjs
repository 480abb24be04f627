import ts from 'typescript';
import fs from 'node:fs';
import { execSync } from 'node:child_process';
const files = execSync("grep -rlE \"from '@helios/core\" packages/server/src packages/cli/src packages/testing/src examples bench scripts docs --include=*.ts --include=*.mjs --include=*.js --include=*.md || true").toString().trim().split('\n').filter(Boolean);
const vals = new Map(), types = new Map();
for (const f of files) {
  if (f.endsWith('.md')) continue;
  const sf = ts.createSourceFile(f, fs.readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true);
  sf.forEachChild((n) => {
    if (!ts.isImportDeclaration(n) && !ts.isExportDeclaration(n)) return;
    const spec = n.moduleSpecifier?.text; if (!spec || !spec.startsWith('@helios/core')) return;
    const clause = ts.isImportDeclaration(n) ? n.importClause : n;
    const typeOnly = clause?.isTypeOnly;
    const named = ts.isImportDeclaration(n) ? clause?.namedBindings : n.exportClause;
    if (!named || !named.elements) { console.log('NS', f, spec); return; }
    for (const el of named.elements) {
      const name = (el.propertyName ?? el.name).text;
      const m = typeOnly || el.isTypeOnly ? types : vals;
      const k = spec + ' ' + name; m.set(k, (m.get(k) ?? new Set()).add(f.split('/').slice(0,2).join('/')));
    }
  });
}
console.log('VALUES'); for (const [k, v] of [...vals].sort()) console.log(k, [...v].join(','));
console.log('TYPES'); for (const [k, v] of [...types].sort()) console.log(k, [...v].join(','));
