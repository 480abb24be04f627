/**
 * Licences in the Graph simulator: `assignLicense` (add and remove licences, with disabled plans)
 * against the subscribed SKUs' units.
 */
import { isObject, lower } from '../http-kit';
import type { Changes } from './changes';
import type { OData } from './odata';
import { GUID_RE } from './schema';
import type { Tenant } from './tenant';
import { badRequest, type Ctx, type Reply } from './wire';

/** `POST /users/{id}/assignLicense`. */
export function createAssignLicense(t: Tenant, changes: Changes, o: OData) {
  const { users, skus, userOf, contextFor } = t;
  const { userOut } = o;
  return (key: string, ctx: Ctx): Reply => {
    const { id, user } = userOf(key);
    const body = ctx.body;
    if (!isObject(body) || !Array.isArray(body.addLicenses))
      throw badRequest("Invalid value specified for property 'addLicenses' of resource 'User'.");
    if (!Array.isArray(body.removeLicenses))
      throw badRequest("Invalid value specified for property 'removeLicenses' of resource 'User'.");
    const current: Array<{ skuId: string; disabledPlans: string[] }> = (
      user.assignedLicenses ?? []
    ).map((l: any) => ({ ...l }));
    const adds = body.addLicenses.map((l: any) => ({
      skuId: lower(l?.skuId),
      disabledPlans: Array.isArray(l?.disabledPlans) ? l.disabledPlans.map(String) : [],
    }));
    const removes = body.removeLicenses.map(lower);
    for (const a of adds) {
      const sku = skus.get(a.skuId);
      if (!GUID_RE.test(a.skuId) || !sku)
        throw badRequest(`License ${a.skuId} does not correspond to a valid company License.`);
      for (const plan of a.disabledPlans)
        if (!sku.servicePlans.some((p: any) => p.servicePlanId === plan))
          throw badRequest(`Invalid disabled plan ${plan} specified for SKU ${a.skuId}.`);
    }
    for (const r of removes)
      if (!current.some((l) => l.skuId === r))
        throw badRequest('User does not have a corresponding license.');
    if (adds.length && !user.usageLocation)
      throw badRequest('License assignment cannot be done for user with invalid usage location.');
    for (const a of adds) {
      const sku = skus.get(a.skuId);
      const already = current.some((l) => l.skuId === a.skuId) && !removes.includes(a.skuId);
      if (!already && sku.consumedUnits >= sku.prepaidUnits.enabled)
        throw badRequest(`Subscription ${a.skuId} does not have any available licenses.`);
    }
    let next = current.filter((l) => !removes.includes(l.skuId));
    for (const r of removes)
      skus.get(r)!.consumedUnits = Math.max(0, skus.get(r)!.consumedUnits - 1);
    for (const a of adds) {
      const existing = next.find((l) => l.skuId === a.skuId);
      if (existing) existing.disabledPlans = a.disabledPlans;
      else {
        next = [...next, a];
        skus.get(a.skuId)!.consumedUnits++;
      }
    }
    const updated = {
      ...user,
      assignedLicenses: next.map((l) => ({ disabledPlans: l.disabledPlans, skuId: l.skuId })),
    };
    users.set(id, updated);
    changes.recordUser(id);
    return {
      status: 200,
      body: { '@odata.context': contextFor('users', null, true), ...userOut(updated, null, null) },
    };
  };
}
