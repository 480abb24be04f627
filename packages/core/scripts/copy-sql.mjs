// Copies the schema files from database/ into this package's sql/ folder, so the published
// @helios/core carries the exact schema it installs and verifies against.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const from = join(here, '..', '..', '..', 'database');
const to = join(here, '..', 'sql');
mkdirSync(to, { recursive: true });
for (const file of ['schema_organization.sql', 'schema-snapshot.json', 'schema-manifest.json']) {
  copyFileSync(join(from, file), join(to, file));
}
// The numbered migrations, exactly the repository's set (a removed file must not linger).
rmSync(join(to, 'migrations'), { recursive: true, force: true });
mkdirSync(join(to, 'migrations'), { recursive: true });
for (const file of readdirSync(join(from, 'migrations')).filter((f) => f.endsWith('.sql'))) {
  copyFileSync(join(from, 'migrations', file), join(to, 'migrations', file));
}
