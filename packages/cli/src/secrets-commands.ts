import { generateEncryptionKey, resolveEncryptionKey } from '@helios/core';
import { createSecretBox, findPlaintextSecrets, rotateSecrets } from '@helios/core/internal';
import type { Command } from 'commander';
import { resolveTarget } from './db-commands';
import { type Output, withDb } from './output';

interface SecretsOptions {
  databaseUrl?: string;
  json?: boolean;
}

/** `helios secrets ...`: generate a key, re-encrypt every secret under a new key, scan for plaintext. */
export function registerSecretsCommands(
  program: Command,
  makeOutput: (json: boolean) => Output,
): void {
  const secrets = program
    .command('secrets')
    .description(
      'encryption of stored secrets (HELIOS_ENCRYPTION_KEY; HELIOS_PREVIOUS_ENCRYPTION_KEYS while rotating)',
    );
  const common = (cmd: Command) =>
    cmd
      .option(
        '--database-url <url>',
        'PostgreSQL URL (default: $DATABASE_URL, else the embedded database in .helios/data)',
      )
      .option('--json', 'machine-readable output');

  secrets
    .command('generate-key')
    .description('print a new random 32-byte key (base64) for HELIOS_ENCRYPTION_KEY')
    .option('--json', 'machine-readable output')
    .action((opts: SecretsOptions) => {
      const key = generateEncryptionKey();
      makeOutput(Boolean(opts.json)).result({ key }, key);
    });

  common(
    secrets
      .command('rotate')
      .description(
        're-encrypt every stored secret under HELIOS_ENCRYPTION_KEY, reading old ones with HELIOS_PREVIOUS_ENCRYPTION_KEYS (comma-separated); plaintext secrets are sealed',
      ),
  ).action(async (opts: SecretsOptions) => {
    const out = makeOutput(Boolean(opts.json));
    await withDb(out, resolveTarget(opts), async (db) => {
      const resolved = resolveEncryptionKey();
      const box = createSecretBox(resolved.key, resolved.previousKeys);
      const result = await rotateSecrets(db, box, (p) => out.progress(p.store, p.done, p.total));
      const lines = Object.entries(result.byStore)
        .filter(([, c]) => c.reencrypted + c.sealed + c.unchanged > 0)
        .map(
          ([store, c]) =>
            `  ${store}: ${c.reencrypted} re-encrypted, ${c.sealed} sealed, ${c.unchanged} unchanged`,
        );
      out.result(
        result,
        [
          `Every secret is now under key ${result.keyId}: ${result.reencrypted} re-encrypted, ${result.sealed} sealed, ${result.unchanged} unchanged`,
          ...lines,
        ].join('\n'),
      );
      return 0;
    });
  });

  common(
    secrets
      .command('scan')
      .description('list secret columns still holding plaintext (exit 1 when any)'),
  ).action(async (opts: SecretsOptions) => {
    const out = makeOutput(Boolean(opts.json));
    await withDb(out, resolveTarget(opts), async (db) => {
      const box = createSecretBox(generateEncryptionKey());
      const found = await findPlaintextSecrets(db, box);
      out.result(
        { plaintext: found },
        found.length === 0
          ? 'No plaintext secrets: every stored secret is encrypted'
          : [
              'Plaintext secrets found (run `helios secrets rotate`):',
              ...found.map((f) => `  ${f.store}: ${f.rows} row(s)`),
            ].join('\n'),
      );
      return found.length === 0 ? 0 : 1;
    });
  });
}
