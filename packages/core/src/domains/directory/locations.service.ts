/**
 * Locations: offices, regions, remote and the like, as a tree by `parent_id`.
 *
 * Owns: locations.
 */
import { type Expression, type SqlBool, sql } from 'kysely';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { keysetPage, type Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';
import { DIRECTORY_ERRORS } from './directory.errors';
import {
  ancestorIds,
  buildTree,
  containsPattern,
  countLinkedUsers,
  lockHierarchy,
  MAX_HIERARCHY_DEPTH,
  type TreeNode,
  toNumber,
} from './directory.shared';
import {
  type CreateLocationInput,
  createLocationSchema,
  type ListLocationsInput,
  type ListLocationUsersInput,
  type LocationTreeInput,
  type LocationType,
  listLocationsSchema,
  listLocationUsersSchema,
  locationTreeSchema,
  type UpdateLocationInput,
  updateLocationSchema,
} from './locations.schema';

/** A location. */
export interface Location {
  id: string;
  name: string;
  code: string | null;
  type: LocationType;
  description: string | null;
  /** The parent location, or null for a top-level location. */
  parentId: string | null;
  addressLine1: string | null;
  addressLine2: string | null;
  city: string | null;
  stateProvince: string | null;
  postalCode: string | null;
  country: string | null;
  /** IANA time zone. */
  timezone: string | null;
  latitude: number | null;
  longitude: number | null;
  isActive: boolean;
  createdAt: Date | null;
  updatedAt: Date | null;
  createdBy: string | null;
}

/** A location with its sub-locations. */
export type LocationNode = TreeNode<Location>;

/** @deprecated Use `Page<Location>`. */
export type LocationPage = Page<Location>;

/** A user at a location, as the directory shows them. */
export interface LocationUser {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  jobTitle: string | null;
  department: string | null;
  departmentId: string | null;
  locationId: string | null;
  avatarUrl: string | null;
  userStatus: string | null;
}

/** @deprecated Use `Page<LocationUser>`. */
export type LocationUserPage = Page<LocationUser>;

/** Location master data: CRUD, listing, the location tree and the users at a location. */
export interface LocationsService {
  /**
   * Creates a location (admins, `directory:write`). Names are unique among siblings.
   * @throws HeliosError CONFLICT `LOCATIONS.NAME_TAKEN`; INVALID_INPUT `VALIDATION.FAILED`,
   *   `LOCATIONS.PARENT_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const emea = await helios.locations.create({ name: 'EMEA', type: 'region' });
   * await helios.locations.create({ name: 'Paris', type: 'office', parentId: emea.id, timezone: 'Europe/Paris' });
   * ```
   */
  create(input: CreateLocationInput, options?: CallOptions): Promise<Location>;
  /**
   * One location (everyone signed in).
   * @throws HeliosError NOT_FOUND `LOCATIONS.NOT_FOUND`
   */
  get(id: string, options?: CallOptions): Promise<Location>;
  /** One location, or null. */
  find(id: string, options?: CallOptions): Promise<Location | null>;
  /**
   * Changes a location (admins); moving it under itself or any of its descendants is refused.
   * @throws HeliosError NOT_FOUND `LOCATIONS.NOT_FOUND`; CONFLICT `LOCATIONS.NAME_TAKEN`;
   *   INVALID_INPUT `VALIDATION.FAILED`, `LOCATIONS.PARENT_NOT_FOUND`, `LOCATIONS.CYCLE`
   */
  update(id: string, input: UpdateLocationInput, options?: CallOptions): Promise<Location>;
  /**
   * Deletes a location (admins), refused while users or sub-locations reference it.
   * @throws HeliosError NOT_FOUND `LOCATIONS.NOT_FOUND`; PRECONDITION_FAILED `LOCATIONS.IN_USE`
   *   with `details: { users, children }`
   */
  delete(id: string, options?: CallOptions): Promise<void>;
  /**
   * A page of locations ordered by name, filtered by name/code/city part, parent, type, country, state.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   */
  list(input?: ListLocationsInput, options?: CallOptions): Promise<Page<Location>>;
  /** Every location nested under its parent, siblings by name. */
  tree(input?: LocationTreeInput, options?: CallOptions): Promise<LocationNode[]>;
  /**
   * The users (not deleted) at a location, by last then first name; optionally also at its sub-locations.
   * @throws HeliosError NOT_FOUND `LOCATIONS.NOT_FOUND`; INVALID_INPUT `PAGING.INVALID_CURSOR`
   * @example
   * ```ts
   * const { items } = await helios.locations.users(paris.id, { limit: 100 });
   * ```
   */
  users(
    id: string,
    input?: ListLocationUsersInput,
    options?: CallOptions,
  ): Promise<Page<LocationUser>>;
}

function toLocation(row: Row<'locations'>): Location {
  return {
    id: row.id,
    name: row.name,
    code: row.code,
    type: (row.type ?? 'office') as LocationType,
    description: row.description,
    parentId: row.parent_id,
    addressLine1: row.address_line1,
    addressLine2: row.address_line2,
    city: row.city,
    stateProvince: row.state_province,
    postalCode: row.postal_code,
    country: row.country,
    timezone: row.timezone,
    latitude: toNumber(row.latitude),
    longitude: toNumber(row.longitude),
    isActive: row.is_active !== false,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
  };
}

async function getRow(s: OperationScope, id: string): Promise<Row<'locations'>> {
  const row = await s.repos.locations.findById(id);
  if (!row) throw DIRECTORY_ERRORS.LOCATION_NOT_FOUND({ id: String(id).slice(0, 64) });
  return row;
}

async function assertNameFree(
  s: OperationScope,
  name: string,
  parentId: string | null,
  exceptId: string | null,
): Promise<void> {
  let query = s.db
    .selectFrom('locations')
    .select('id')
    .where('organization_id', '=', s.organizationId)
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
    .where('parent_id', parentId === null ? 'is' : '=', parentId);
  if (exceptId) query = query.where('id', '<>', exceptId);
  const clash = await query.executeTakeFirst();
  if (clash) {
    throw DIRECTORY_ERRORS.LOCATION_NAME_TAKEN({ name, parentId, id: clash.id });
  }
}

async function assertParent(
  s: OperationScope,
  parentId: string,
  selfId: string | null,
): Promise<void> {
  if (selfId && parentId === selfId) {
    throw DIRECTORY_ERRORS.LOCATION_CYCLE({ id: selfId });
  }
  const parent = await s.repos.locations.findById(parentId);
  if (!parent) throw DIRECTORY_ERRORS.LOCATION_PARENT_NOT_FOUND({ parentId });
  if (!selfId) return;
  const chain = await ancestorIds(s.db, 'locations', 'parent_id', s.organizationId, parentId);
  if (chain.includes(selfId)) {
    throw DIRECTORY_ERRORS.LOCATION_CYCLE({ id: selfId, parentId });
  }
}

type LocationValues = Partial<
  Omit<Row<'locations'>, 'id' | 'organization_id' | 'created_at' | 'created_by'>
>;

function toValues(data: ReturnType<typeof updateLocationSchema.parse>): LocationValues {
  const map: [keyof typeof data, keyof LocationValues][] = [
    ['name', 'name'],
    ['code', 'code'],
    ['type', 'type'],
    ['description', 'description'],
    ['parentId', 'parent_id'],
    ['addressLine1', 'address_line1'],
    ['addressLine2', 'address_line2'],
    ['city', 'city'],
    ['stateProvince', 'state_province'],
    ['postalCode', 'postal_code'],
    ['country', 'country'],
    ['timezone', 'timezone'],
    ['isActive', 'is_active'],
  ];
  const out: Record<string, unknown> = {};
  for (const [from, to] of map) if (data[from] !== undefined) out[to] = data[from];
  if (data.latitude !== undefined)
    out.latitude = data.latitude === null ? null : String(data.latitude);
  if (data.longitude !== undefined)
    out.longitude = data.longitude === null ? null : String(data.longitude);
  return out as LocationValues;
}

/** Builds the locations service. */
export function createLocationsService(rt: ServiceRuntime): LocationsService {
  return {
    create: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        const data = parseInput(createLocationSchema, input);
        await lockHierarchy(s, 'locations');
        if (data.parentId) await assertParent(s, data.parentId, null);
        await assertNameFree(s, data.name, data.parentId ?? null, null);
        const row = await s.repos.locations.insert({
          ...toValues(data),
          name: data.name,
          type: data.type ?? 'office',
          is_active: data.isActive ?? true,
          created_by: s.principal.userId,
          created_at: s.now,
          updated_at: s.now,
        });
        const dto = toLocation(row);
        await s.audit({
          action: 'locations.create',
          resource: 'location',
          resourceId: row.id,
          details: summarizeChange(null, dto),
        });
        return dto;
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        return toLocation(await getRow(s, id));
      }),

    find: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        const row = await s.repos.locations.findById(id);
        return row ? toLocation(row) : null;
      }),

    update: (id, input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        const data = parseInput(updateLocationSchema, input);
        await lockHierarchy(s, 'locations');
        const before = await getRow(s, id);
        const parentId = data.parentId === undefined ? before.parent_id : data.parentId;
        const name = data.name ?? before.name;
        if (parentId !== null && parentId !== before.parent_id)
          await assertParent(s, parentId, before.id);
        if (name.toLowerCase() !== before.name.toLowerCase() || parentId !== before.parent_id)
          await assertNameFree(s, name, parentId, before.id);
        const after = await s.repos.locations.update(before.id, {
          ...toValues(data),
          updated_at: s.now,
        });
        const dto = toLocation(after);
        await s.audit({
          action: 'locations.update',
          resource: 'location',
          resourceId: after.id,
          details: summarizeChange(toLocation(before), dto),
        });
        return dto;
      }),

    delete: (id, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        await lockHierarchy(s, 'locations');
        const before = await getRow(s, id);
        const usage = {
          users: await countLinkedUsers(s, 'location_id', before.id),
          children: await s.repos.locations.count({ parent_id: before.id }),
        };
        if (usage.users + usage.children > 0) {
          throw DIRECTORY_ERRORS.LOCATION_IN_USE({ id: before.id, name: before.name, usage });
        }
        await s.repos.locations.delete(before.id);
        await s.audit({
          action: 'locations.delete',
          resource: 'location',
          resourceId: before.id,
          details: summarizeChange(toLocation(before), null),
        });
      }),

    list: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        const filter = parseInput(listLocationsSchema, input);
        const paging = keysetPage({
          list: 'locations',
          keys: [
            { by: 'name', kind: 'text' },
            { by: 'id', kind: 'uuid' },
          ],
          limit: filter.limit,
          cursor: filter.cursor,
        });
        const rows = await s.db
          .selectFrom('locations')
          .selectAll()
          .where((eb) => {
            const conditions: Expression<SqlBool>[] = [
              eb('organization_id', '=', s.organizationId),
            ];
            if (filter.search) {
              const pattern = containsPattern(filter.search);
              conditions.push(
                eb.or([
                  eb('name', 'ilike', pattern),
                  eb('code', 'ilike', pattern),
                  eb('city', 'ilike', pattern),
                ]),
              );
            }
            if (filter.parentId === null) conditions.push(eb('parent_id', 'is', null));
            else if (filter.parentId !== undefined)
              conditions.push(eb('parent_id', '=', filter.parentId));
            if (filter.type) conditions.push(eb('type', '=', filter.type));
            if (filter.country)
              conditions.push(eb(eb.fn('lower', ['country']), '=', filter.country.toLowerCase()));
            if (filter.isActive !== undefined)
              conditions.push(eb('is_active', '=', filter.isActive));
            return eb.and(conditions);
          })
          .$call(paging.query)
          .execute();
        return paging.page(rows, toLocation);
      }),

    tree: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        const filter = parseInput(locationTreeSchema, input);
        let query = s.db
          .selectFrom('locations')
          .selectAll()
          .where('organization_id', '=', s.organizationId);
        if (filter.isActive !== undefined) query = query.where('is_active', '=', filter.isActive);
        const rows = await query.orderBy('name').orderBy('id').execute();
        return buildTree(rows.map(toLocation));
      }),

    users: (id, input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        const filter = parseInput(listLocationUsersSchema, input);
        const location = await getRow(s, id);
        const paging = keysetPage({
          list: 'location_users',
          keys: [
            { by: 'last_name', kind: 'text' },
            { by: 'first_name', kind: 'text' },
            { by: 'id', kind: 'uuid' },
          ],
          limit: filter.limit,
          cursor: filter.cursor,
        });
        let locationIds = [location.id];
        if (filter.includeSublocations) {
          const result = await sql<{ id: string }>`
            with recursive sub(id, depth) as (
              select id, 0 from locations where id = ${location.id} and organization_id = ${s.organizationId}
              union
              select l.id, sub.depth + 1 from locations l join sub on l.parent_id = sub.id
               where sub.depth < ${MAX_HIERARCHY_DEPTH} and l.organization_id = ${s.organizationId}
            )
            select distinct id from sub`.execute(s.db);
          locationIds = result.rows.map((r) => r.id);
        }
        const rows = await s.db
          .selectFrom('organization_users')
          .select([
            'id',
            'email',
            'first_name',
            'last_name',
            'job_title',
            'department',
            'department_id',
            'location_id',
            'avatar_url',
            'user_status',
          ])
          .where((eb) => {
            const conditions: Expression<SqlBool>[] = [
              eb('organization_id', '=', s.organizationId),
              eb('location_id', 'in', locationIds),
              eb('deleted_at', 'is', null),
              eb.or([eb('user_status', 'is', null), eb('user_status', '<>', 'deleted')]),
            ];
            return eb.and(conditions);
          })
          .$call(paging.query)
          .execute();
        return paging.page(rows, (r) => ({
          id: r.id,
          email: r.email,
          firstName: r.first_name,
          lastName: r.last_name,
          jobTitle: r.job_title,
          department: r.department,
          departmentId: r.department_id,
          locationId: r.location_id,
          avatarUrl: r.avatar_url,
          userStatus: r.user_status,
        }));
      }),
  };
}
