import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSchema, schemaFile } from './generate';

describe('src/schema.generated.ts', () => {
  it('is what openapi-typescript generates from packages/server/openapi.json (run `npm run generate -w @helios/client` when this fails)', async () => {
    const expected = await renderSchema();
    expect(expected).toContain('"/api/v1/users/{id}": {');
    expect(
      readFileSync(schemaFile, 'utf8') === expected,
      'src/schema.generated.ts is stale: run `npm run generate -w @helios/client`',
    ).toBe(true);
  });
});
