/** The licenses calls of the Microsoft 365 provider (on `graphConnection`). */

import type { GraphObject, Microsoft365Provider, MicrosoftSku } from './provider';
import type { GraphConnection } from './provider.http';

/** The licenses calls of the provider: the subscribed SKUs, and assigning or removing SKUs of a user. */
export function licenseCalls(
  graph: GraphConnection,
): Pick<Microsoft365Provider, 'listSubscribedSkus' | 'assignLicense'> {
  const { client, call, get } = graph;
  return {
    async listSubscribedSkus() {
      const page = await get<{ value?: MicrosoftSku[] }>('subscribedSkus.list', '/subscribedSkus');
      return page.value ?? [];
    },

    assignLicense: (id, add, remove) =>
      call<GraphObject>('users.assignLicense', true, (signal) =>
        client
          .api(`/users/${encodeURIComponent(id)}/assignLicense`)
          .option('signal', signal)
          .post({
            addLicenses: add.map((a) => ({ skuId: a.skuId, disabledPlans: a.disabledPlans ?? [] })),
            removeLicenses: remove,
          }),
      ),
  };
}
