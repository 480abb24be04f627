import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type Database, TABLE_NAMES, type TableName } from '../db/database.generated';
import { generateTableMetadata, METADATA_FILE } from './generate-metadata';
import { TABLE_METADATA } from './table-metadata.generated';

type MetadataColumns<T extends TableName> = (typeof TABLE_METADATA)[T]['columns'][number];
/** For every table: true when the metadata lists exactly the columns of the generated Database type. */
type ColumnsAgree = {
  [T in TableName]: [MetadataColumns<T>] extends [keyof Database[T]]
    ? [keyof Database[T]] extends [MetadataColumns<T>]
      ? true
      : false
    : false;
};

describe('table-metadata.generated.ts', () => {
  it('equals a fresh generation from database/schema-snapshot.json', () => {
    expect(readFileSync(METADATA_FILE, 'utf8')).toBe(generateTableMetadata());
  });

  it('covers exactly the 86 tables, each with a sortable primary key among its columns', () => {
    expect(Object.keys(TABLE_METADATA).sort()).toEqual([...TABLE_NAMES].sort());
    for (const table of TABLE_NAMES) {
      const meta = TABLE_METADATA[table];
      expect(meta.columns as readonly string[]).toContain(meta.primaryKey);
      expect(Object.keys(meta.sortable)).toContain(meta.primaryKey);
      for (const column of Object.keys(meta.sortable))
        expect(meta.columns as readonly string[]).toContain(column);
      expect(meta.organizationScoped).toBe(
        (meta.columns as readonly string[]).includes('organization_id'),
      );
    }
  });

  it('agrees with the generated Database type column for column', () => {
    expectTypeOf<ColumnsAgree[TableName]>().toEqualTypeOf<true>();
  });
});
