// Copies the schema files from database/ into this package's sql/ folder, so the published
// @helios/core carries the exact schema it installs and verifies against.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const from = join(here, '..', '..', '..', 'database');
const to = join(here, '..', 'sql');
mkdirSync(to, { recursive: true });
for (const file of ['schema_organization.sql', 'schema-snapshot.json', 'schema-manifest.json']) {
  copyFileSync(join(from, file), join(to, file));
}
