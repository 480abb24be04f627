import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase } from '@helios/testing';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');

describe('examples', () => {
  it('runs the directory quick start from its README', async () => {
    expect(existsSync(join(root, 'packages/core/dist/index.js')), 'build first (npm test builds)').toBe(true);
    const t = await createTestDatabase({ empty: true });
    try {
      const env = { ...process.env };
      if (t.connectionString) env.DATABASE_URL = t.connectionString;
      else delete env.DATABASE_URL;
      if (!t.connectionString) await t.destroy();
      const run = spawnSync(process.execPath, ['examples/directory-quickstart/quickstart.mjs'], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('Set up Acme (acme.example); admin ada@acme.example');
      expect(run.stdout).toContain('Engineering, page 1: Edsger Dijkstra, Grace Hopper');
      expect(run.stdout).toContain('Engineering, page 2: Alan Turing');
      expect(run.stdout).toContain('Grace has 2 direct reports');
      expect(run.stdout).toMatch(/- Grace Hopper \(VP Engineering\)\n {4}- Edsger Dijkstra \(Engineer\)\n {4}- Alan Turing \(Engineer\)/);
      expect(run.stdout).toContain('CSV export: 5 users');
      expect(run.stdout).toMatch(/Audit trail: \d+ rows, chain intact/);
    } finally {
      if (t.connectionString) await t.destroy();
    }
  });
});
