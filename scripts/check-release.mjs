// The release flow, rehearsed without touching the repository or the registry (CI's package check,
// `npm run check:packages`; docs/releasing.md): in a scratch copy of the packages (built dist
// included), `changeset version` consumes the pending changesets (versions, internal dependency
// ranges, CHANGELOG.md entries), then `npm publish --dry-run` packs each public package as the
// registry would receive it. Fails when a changeset names an unknown package, a bump leaves a
// package's CHANGELOG without its new version, or a publish would be refused.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'helios-release-'));
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

function run(command, args, cwd) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_loglevel: 'warn' },
  });
  if (result.status !== 0) {
    console.error(
      `${command} ${args.join(' ')} (in ${cwd}) exited ${result.status}\n${result.stdout}\n${result.stderr}`,
    );
    process.exit(1);
  }
  return result;
}

try {
  const pending = readdirSync(join(root, '.changeset')).filter(
    (f) => f.endsWith('.md') && f !== 'README.md',
  );
  cpSync(join(root, 'package.json'), join(scratch, 'package.json'));
  cpSync(join(root, '.changeset'), join(scratch, '.changeset'), { recursive: true });
  const packages = readdirSync(join(root, 'packages')).filter((dir) =>
    existsSync(join(root, 'packages', dir, 'package.json')),
  );
  const before = {};
  for (const dir of packages) {
    const pkg = readJson(join(root, 'packages', dir, 'package.json'));
    before[dir] = pkg;
    // What the package publishes (its `files`, plus package.json, README, LICENSE, CHANGELOG).
    for (const entry of [
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      ...(pkg.files ?? []),
    ]) {
      const from = join(root, 'packages', dir, entry);
      if (existsSync(from))
        cpSync(from, join(scratch, 'packages', dir, entry), { recursive: true });
    }
    if (!pkg.private && !existsSync(join(root, 'packages', dir, 'dist'))) {
      console.error(`${pkg.name}: no dist/ (build first)`);
      process.exit(1);
    }
  }

  run(process.execPath, [join(root, 'node_modules/@changesets/cli/bin.js'), 'version'], scratch);

  const left = readdirSync(join(scratch, '.changeset')).filter(
    (f) => f.endsWith('.md') && f !== 'README.md',
  );
  if (left.length > 0) {
    console.error(
      `changeset version left ${left.length} changesets unconsumed: ${left.join(', ')}`,
    );
    process.exit(1);
  }
  for (const dir of packages) {
    const pkg = readJson(join(scratch, 'packages', dir, 'package.json'));
    const changelog = readFileSync(join(scratch, 'packages', dir, 'CHANGELOG.md'), 'utf8');
    if (pkg.version !== before[dir].version && !changelog.includes(`## ${pkg.version}`)) {
      console.error(
        `${pkg.name}: bumped to ${pkg.version} but its CHANGELOG.md has no "## ${pkg.version}" section`,
      );
      process.exit(1);
    }
    console.log(
      `release: ${pkg.name} ${before[dir].version} -> ${pkg.version}${pkg.private ? ' (private, not published)' : ''}`,
    );
    if (pkg.private) continue;
    const dry = run(
      'npm',
      ['publish', '--dry-run', '--ignore-scripts', '--json'],
      join(scratch, 'packages', dir),
    );
    const report = JSON.parse(dry.stdout.slice(dry.stdout.indexOf('{')));
    const packed = report[pkg.name] ?? report;
    console.log(
      `release: npm publish --dry-run ${packed.id ?? `${pkg.name}@${pkg.version}`}: ${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} kB`,
    );
  }
  console.log(
    `release: ${pending.length} pending changesets consumed in a scratch copy; the repository is unchanged`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
