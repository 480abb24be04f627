/**
 * OneDrive in the Graph simulator: every user has a business OneDrive (unless a test removes it,
 * as when the user's site was never provisioned) with files and folders at its root and the
 * permissions of its root. Routes under `users/{id}/drive`: the drive itself, `root/children`
 * (paged with `$top` and `$skiptoken`, in id order; `$select` keeps the fields named),
 * `root/permissions` (paged the same way),
 * `root/invite` (a sharing invitation: `roles` `read` or `write`, recipients by `objectId` or
 * `email` of a tenant user; answers the permissions granted), `DELETE items/{id}` (to the recycle
 * bin) and `POST items/{id}/permanentDelete` (gone for good), both 204. Reads need Files.Read.All
 * or Files.ReadWrite.All, writes Files.ReadWrite.All. A user without a drive answers 404
 * `ResourceNotFound` ("User's mysite not found."), an unknown item 404 `itemNotFound`.
 */
import { randomUUID } from 'node:crypto';
import { isObject } from '../http-kit';
import type { OData } from './odata';
import { ROLES_FOR } from './permissions';
import type { Tenant } from './tenant';
import { badRequest, type Ctx, GraphError, otherRoute, type Reply, wrongMethodError } from './wire';

/** A user's OneDrive as the simulator keeps it. */
export interface GraphSimDrive {
  id: string;
  /** The root's children by item id (wire JSON). */
  items: Map<string, Record<string, any>>;
  /** The root's permissions by permission id (wire JSON); `owner` is the user's own. */
  permissions: Map<string, Record<string, any>>;
  /** The ids of the items sent to the recycle bin (`DELETE`), in order. */
  recycled: string[];
}

/** A new drive item (`sim.addDriveItem`): a file unless `folder` is true. */
export interface GraphSimDriveItemInput {
  name: string;
  folder?: boolean;
  size?: number;
}

/** Per tenant: the drives by user id (null: the user has no OneDrive). */
const stores = new WeakMap<Tenant, Map<string, GraphSimDrive | null>>();

const identity = (user: Record<string, any>) => ({
  id: user.id,
  displayName: user.displayName ?? null,
  email: user.mail ?? user.userPrincipalName ?? null,
});

/** The drive of a user (created empty on first use), or null when the user has none. */
export function driveOf(t: Tenant, key: string): GraphSimDrive | null {
  const { id, user } = t.userOf(key);
  let drives = stores.get(t);
  if (!drives) stores.set(t, (drives = new Map()));
  if (!drives.has(id)) {
    const owner = identity(user);
    drives.set(id, {
      id: `b!${Buffer.from(id).toString('base64url')}`,
      items: new Map(),
      permissions: new Map([
        [
          'owner',
          {
            id: 'owner',
            roles: ['owner'],
            grantedTo: { user: owner },
            grantedToV2: { user: owner },
          },
        ],
      ]),
      recycled: [],
    });
  }
  return drives.get(id) ?? null;
}

/** Removes a user's OneDrive (as if never provisioned). */
export function removeDrive(t: Tenant, key: string): void {
  const { id } = t.userOf(key);
  let drives = stores.get(t);
  if (!drives) stores.set(t, (drives = new Map()));
  drives.set(id, null);
}

/** Adds a file or folder at the root of a user's OneDrive; returns its id. */
export function addDriveItem(t: Tenant, key: string, input: GraphSimDriveItemInput): string {
  const drive = driveOf(t, key);
  if (!drive) throw new Error(`The Graph simulator's user ${key} has no OneDrive.`);
  const at = new Date().toISOString();
  const id = `01${randomUUID().replace(/-/g, '').toUpperCase().slice(0, 32)}`;
  drive.items.set(id, {
    id,
    name: input.name,
    createdDateTime: at,
    lastModifiedDateTime: at,
    size: input.size ?? (input.folder ? 0 : 1024),
    parentReference: { driveId: drive.id, driveType: 'business', path: '/drive/root:' },
    ...(input.folder
      ? { folder: { childCount: 0 } }
      : { file: { mimeType: 'application/octet-stream' } }),
  });
  return id;
}

const noSite = () => new GraphError(404, 'ResourceNotFound', "User's mysite not found.");
const noItem = () => new GraphError(404, 'itemNotFound', 'The resource could not be found.');

/** The routes under `users/{key}/` that start with `drive`. */
export function createDriveRoutes(t: Tenant, o: OData) {
  const { context, linkWith, fingerprint } = t;
  const { pageSize, listAfter, listToken, checkQueryOptions } = o;
  const r = otherRoute;
  const wrongMethod = wrongMethodError();
  const need = (key: string) => {
    const drive = driveOf(t, key);
    if (!drive) throw noSite();
    return drive;
  };

  /** A page of `values` in id order, resuming after the last id. */
  const page = (
    ctx: Ctx,
    values: Array<Record<string, any>>,
    scope: string,
    entity: string,
  ): Reply => {
    checkQueryOptions(ctx.query, ['$top', '$skiptoken', '$select']);
    const select = ctx.query
      .get('$select')
      ?.split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    const top = pageSize(ctx.query, 200);
    const fp = fingerprint(['drive', scope]);
    const after = listAfter(ctx.query, fp);
    const all = values.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const rest = after === undefined ? all : all.filter((v) => v.id > after);
    const slice = rest.slice(0, top);
    const body: Record<string, unknown> = { '@odata.context': context(entity) };
    if (rest.length > top)
      body['@odata.nextLink'] = linkWith(ctx.path, ctx.query, {
        $skiptoken: listToken(slice[slice.length - 1]!.id, fp),
      });
    body.value = slice.map((v) =>
      select ? Object.fromEntries(['id', ...select].map((f) => [f, v[f]])) : structuredClone(v),
    );
    return { status: 200, body };
  };

  /** A sharing invitation on the root: one permission per recipient, or the one it already has. */
  const invite = (key: string, ctx: Ctx): Reply => {
    const drive = need(key);
    const b = ctx.body;
    if (!isObject(b)) throw badRequest('Empty Payload. JSON content expected.', 'invalidRequest');
    const roles = b.roles;
    if (
      !Array.isArray(roles) ||
      roles.length === 0 ||
      roles.some((x) => x !== 'read' && x !== 'write')
    )
      throw badRequest('Invalid roles: read or write expected.', 'invalidRequest');
    for (const k of ['requireSignIn', 'sendInvitation'])
      if (b[k] !== undefined && typeof b[k] !== 'boolean')
        throw badRequest(`Invalid value for property '${k}'.`, 'invalidRequest');
    if (!Array.isArray(b.recipients) || b.recipients.length === 0)
      throw badRequest('At least one recipient is required.', 'invalidRequest');
    const granted: Array<Record<string, any>> = [];
    for (const rec of b.recipients) {
      const who = isObject(rec) ? (rec.objectId ?? rec.email) : undefined;
      if (typeof who !== 'string') throw badRequest('Invalid recipient.', 'invalidRequest');
      let user: Record<string, any>;
      try {
        user = t.userOf(who).user;
      } catch {
        throw badRequest(
          `The recipient ${who} is not a user of the organization.`,
          'invalidRequest',
        );
      }
      const existing = [...drive.permissions.values()].find(
        (p) => p.grantedToV2?.user?.id === user.id && p.id !== 'owner',
      );
      const perm = existing ?? {
        id: randomUUID().replace(/-/g, '').slice(0, 24),
        roles: [] as string[],
        grantedTo: { user: identity(user) },
        grantedToV2: { user: identity(user) },
      };
      perm.roles = [...new Set([...perm.roles, ...roles])];
      drive.permissions.set(perm.id, perm);
      granted.push(structuredClone(perm));
    }
    return {
      status: 200,
      body: { '@odata.context': context('Collection(permission)'), value: granted },
    };
  };

  const remove = (key: string, itemId: string, forGood: boolean): Reply => {
    const drive = need(key);
    if (!drive.items.delete(itemId)) throw noItem();
    if (!forGood) drive.recycled.push(itemId);
    return { status: 204 };
  };

  /** The drive resource. */
  const driveBody = (key: string): Reply => {
    const drive = need(key);
    return {
      status: 200,
      body: {
        '@odata.context': context('drives/$entity'),
        id: drive.id,
        driveType: 'business',
        name: 'OneDrive',
        owner: { user: identity(t.userOf(key).user) },
      },
    };
  };

  /** The route of a path under the drive: [method, name, roles, handler], or undefined. */
  const routeOf = (
    key: string,
    [a, b, c]: string[],
  ): [string, string, readonly string[], (ctx: Ctx) => Reply] | undefined => {
    const read = ROLES_FOR.filesRead;
    const write = ROLES_FOR.filesWrite;
    if (a === undefined) return ['GET', 'drive.get', read, () => driveBody(key)];
    if (a === 'root' && c === undefined) {
      if (b === 'children')
        return [
          'GET',
          'drive.children',
          read,
          (ctx) => {
            const d = need(key);
            return page(ctx, [...d.items.values()], `${d.id}:items`, 'Collection(driveItem)');
          },
        ];
      if (b === 'permissions')
        return [
          'GET',
          'drive.permissions',
          read,
          (ctx) => {
            const d = need(key);
            return page(
              ctx,
              [...d.permissions.values()],
              `${d.id}:perms`,
              'Collection(permission)',
            );
          },
        ];
      if (b === 'invite') return ['POST', 'drive.invite', write, (ctx) => invite(key, ctx)];
    }
    if (a === 'items' && b) {
      if (c === undefined)
        return ['DELETE', 'drive.items.delete', write, () => remove(key, b, false)];
      if (c === 'permanentDelete')
        return ['POST', 'drive.items.permanentDelete', write, () => remove(key, b, true)];
    }
    return undefined;
  };

  /** `users/{key}/drive[/...]` (segments after the user), or undefined. */
  return (method: string, key: string, rest: string[]) => {
    if (rest[0] !== 'drive' || rest.length > 4) return undefined;
    const route = routeOf(key, rest.slice(1));
    if (!route) return undefined;
    const [wanted, name, roles, run] = route;
    return method === wanted ? r(name, roles, run) : wrongMethod;
  };
}
