import type { Insertable, Selectable } from 'kysely';
import { describe, expectTypeOf, it } from 'vitest';
import type { Database, TableName } from '../db/database.generated';
import type {
  ListOptions,
  NewRow,
  Page,
  Repositories,
  Row,
  RowId,
  SortableColumn,
  TableRepository,
} from './types';

/** Never called: only compiled, so that the `@ts-expect-error` lines prove what must not type-check. */
async function wrongColumnsDoNotCompile(repos: Repositories): Promise<void> {
  // @ts-expect-error: `nam` is not a column of departments
  await repos.departments.list({ where: { nam: 'Finance' } });
  // @ts-expect-error: `colour` is not a column of organization_users
  await repos.organization_users.count({ colour: 'blue' });
  await repos.custom_labels.insert({
    canonical_name: 'department',
    label_singular: 'Team',
    label_plural: 'Teams',
    // @ts-expect-error: `labels` is not a column of custom_labels
    labels: 1,
  });
  // @ts-expect-error: feature_flags rows have no `title`
  await repos.feature_flags.insert({ feature_key: 'x', name: 'X', title: 'X' });
  // @ts-expect-error: `description` is a column of departments but not a sortable one
  await repos.departments.list({ orderBy: 'description' });
  // @ts-expect-error: `nope` is not a column at all
  await repos.organization_users.list({ orderBy: 'nope' });
  await repos.organization_users.update('00000000-0000-4000-8000-000000000000', {
    // @ts-expect-error: `first_nam` is not a column of organization_users
    first_nam: 'Ada',
  });
  // @ts-expect-error: a department's name is a string
  await repos.departments.list({ where: { name: 42 } });
  // @ts-expect-error: departments need a name
  await repos.departments.insert({ description: 'no name' });
}

describe('repository types', () => {
  it('derives rows, keys, filters and sort columns from the generated Database', () => {
    expectTypeOf(wrongColumnsDoNotCompile).toBeFunction();
    expectTypeOf<Repositories['departments']>().toEqualTypeOf<TableRepository<'departments'>>();
    expectTypeOf<keyof Repositories>().toEqualTypeOf<TableName>();
    expectTypeOf<Row<'departments'>>().toEqualTypeOf<Selectable<Database['departments']>>();
    expectTypeOf<Awaited<ReturnType<Repositories['departments']['getById']>>>().toEqualTypeOf<
      Row<'departments'>
    >();
    expectTypeOf<
      Awaited<ReturnType<Repositories['departments']['findById']>>
    >().toEqualTypeOf<Row<'departments'> | null>();
    expectTypeOf<Awaited<ReturnType<Repositories['feature_flags']['list']>>>().toEqualTypeOf<
      Page<Row<'feature_flags'>>
    >();
    expectTypeOf<RowId<'departments'>>().toEqualTypeOf<string>();
    expectTypeOf<RowId<'master_data_settings'>>().toEqualTypeOf<string>();
    expectTypeOf<'name'>().toExtend<SortableColumn<'departments'>>();
    expectTypeOf<'created_at'>().toExtend<SortableColumn<'organization_users'>>();
    expectTypeOf<'description'>().not.toExtend<SortableColumn<'departments'>>();
    expectTypeOf<{
      where: { name: ['a', 'b']; parent_department_id: null };
      orderBy: 'name';
    }>().toExtend<ListOptions<'departments'>>();
    expectTypeOf<{ name: string }>().toExtend<NewRow<'departments'>>();
    expectTypeOf<NewRow<'feature_flags'>>().toEqualTypeOf<Insertable<Database['feature_flags']>>();
    expectTypeOf<Row<'organization_users'>['email']>().toEqualTypeOf<string>();
    expectTypeOf<Row<'departments'>['created_at']>().toEqualTypeOf<Date | null>();
  });
});
