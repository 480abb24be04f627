/**
 * Licensing API v1 routes of the simulator (under `apps/licensing/v1/product/{productId}/sku/{skuId}/`):
 * `user` insert and list (`listForProductAndSku`, `customerId` required), `user/{userId}` get, patch
 * (move to another SKU of the product) and delete. A SKU is `productId/skuId`; seats per SKU are
 * limited when seeded with a number (an insert over the limit is refused 412 conditionNotMet).
 * Scope `apps.licensing`.
 */
import { isObject, lower } from '../http-kit';
import { ApiError, badRequest, invalid } from './errors';
import { intParam } from './paging';
import type { Route } from './router';
import { LICENSING } from './scopes';
import type { Workspace } from './workspace';

const ok = (body: unknown) => ({ status: 200, body });
const noContent = { status: 204 };

const noLicense = () =>
  new ApiError(404, 'User does not have a license for specified sku and product', 'notFound');

function assignmentOut(w: Workspace, productId: string, skuId: string, userId: string) {
  const email = w.emailOf(userId);
  return w.etag({
    kind: 'licensing#licenseAssignment',
    etags: '',
    selfLink: `https://licensing.googleapis.com/apps/licensing/v1/product/${productId}/sku/${skuId}/user/${email}`,
    userId: email,
    productId,
    productName: productId === 'Google-Apps' ? 'Google Workspace' : productId,
    skuId,
    skuName: skuId,
  });
}

/** The SKU's holders; 400 for a SKU the customer has no subscription to. */
function holders(w: Workspace, sku: string): Set<string> {
  if (!w.seats.has(sku) && !w.licenses.has(sku)) throw invalid(`Invalid productId/skuId: ${sku}`);
  let set = w.licenses.get(sku);
  if (!set) w.licenses.set(sku, (set = new Set()));
  return set;
}

function assign(w: Workspace, sku: string, userId: string): void {
  const set = holders(w, sku);
  if (set.has(userId))
    throw new ApiError(
      409,
      'User already has a license for the specified product and SKU',
      'duplicate',
    );
  const limit = w.seats.get(sku);
  if (typeof limit === 'number' && set.size >= limit)
    throw new ApiError(
      412,
      `Not enough licenses available for ${sku}: all ${limit} seats are assigned. Purchase more licenses or free one.`,
      'conditionNotMet',
    );
  set.add(userId);
}

/** The Licensing route of a method and the path segments under `apps/licensing/v1/`, if any. */
export function resolveLicensingRoute(
  w: Workspace,
  method: string,
  segs: string[],
): Route | undefined {
  const [p, productId, s, skuId, u, userKey] = segs;
  if (p !== 'product' || s !== 'sku' || u !== 'user' || !productId || !skuId) return undefined;
  const sku = `${productId}/${skuId}`;
  const r = (name: string, run: Route['run']): Route => ({ name, scopes: LICENSING, run });
  if (segs.length === 5 && method === 'POST')
    return r('licenses.insert', ({ body }) => {
      if (!isObject(body) || typeof body.userId !== 'string') throw invalid('Missing userId');
      const { id } = w.user(body.userId);
      assign(w, sku, id);
      return ok(assignmentOut(w, productId, skuId, id));
    });
  if (segs.length === 5 && method === 'GET')
    return r('licenses.listForProductAndSku', ({ query }) => {
      const customer = query.get('customerId');
      if (!customer) throw badRequest();
      if (customer !== w.d.customerId && lower(customer) !== lower(w.d.domain))
        throw new ApiError(403, 'Not Authorized to access this resource/api', 'forbidden');
      const max = intParam(query, 'maxResults', 100, 1000);
      const all = [...holders(w, sku)].sort();
      const start = Number(query.get('pageToken') ?? 0) || 0;
      const chunk = all.slice(start, start + max);
      return ok({
        kind: 'licensing#licenseAssignmentList',
        etag: '""',
        items: chunk.map((id) => assignmentOut(w, productId, skuId, id)),
        ...(start + max < all.length ? { nextPageToken: String(start + max) } : {}),
      });
    });
  if (segs.length !== 6 || !userKey) return undefined;
  if (method === 'GET')
    return r('licenses.get', () => {
      const { id } = w.user(userKey);
      if (!holders(w, sku).has(id)) throw noLicense();
      return ok(assignmentOut(w, productId, skuId, id));
    });
  if (method === 'DELETE')
    return r('licenses.delete', () => {
      const { id } = w.user(userKey);
      if (!holders(w, sku).delete(id)) throw noLicense();
      return noContent;
    });
  if (method === 'PATCH' || method === 'PUT')
    return r(method === 'PATCH' ? 'licenses.patch' : 'licenses.update', ({ body }) => {
      const { id } = w.user(userKey);
      if (!holders(w, sku).has(id)) throw noLicense();
      const target = isObject(body) && typeof body.skuId === 'string' ? body.skuId : skuId;
      const targetProduct =
        isObject(body) && typeof body.productId === 'string' ? body.productId : productId;
      if (targetProduct !== productId) throw invalid('Cannot change the product of a license');
      if (target === skuId) return ok(assignmentOut(w, productId, skuId, id));
      assign(w, `${productId}/${target}`, id);
      holders(w, sku).delete(id);
      return ok(assignmentOut(w, productId, target, id));
    });
  return undefined;
}
