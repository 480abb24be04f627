import ts from 'typescript';
import path from 'node:path';
const root = process.cwd();
const f = path.join(root, 'packages/core/src', process.argv[2] + '.ts');
const cfg = ts.readConfigFile(path.join(root, 'packages/core/tsconfig.json'), ts.sys.readFile);
const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, path.join(root, 'packages/core'));
const program = ts.createProgram([f], { ...parsed.options, noEmit: true });
const checker = program.getTypeChecker();
const sym = checker.getSymbolAtLocation(program.getSourceFile(f));
for (const s of checker.getExportsOfModule(sym)) {
  const t = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
  const decl = t.declarations?.[0];
  const file = decl ? path.relative(path.join(root, 'packages/core/src'), decl.getSourceFile().fileName) : '?';
  console.log((t.flags & ts.SymbolFlags.Value ? 'V' : 'T'), s.name, file);
}
