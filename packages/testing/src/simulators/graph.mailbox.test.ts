import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GRAPH_APPLICATION_PERMISSIONS, type GraphSimulator, startGraphSimulator } from './graph';
import { call, expectGraphError, followAll, token, UPN } from './graph.test-kit';

// The Graph simulator's per-user lifecycle routes: memberOf groups, licence details, mailbox
// settings (automatic replies) and inbox message rules (forwarding).

describe('Graph simulator: lifecycle routes of a user', () => {
  let sim: GraphSimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGraphSimulator({
      links: 'local',
      seed: { users: 6, groups: 3, membersPerGroup: 2 },
    });
    tok = await token(sim);
  });
  afterAll(() => sim.close());
  afterEach(() => sim.grantPermissions([...GRAPH_APPLICATION_PERMISSIONS]));

  const idOf = (i: number) =>
    [...sim.state.users.values()].find((u) => u.userPrincipalName === UPN(i))!.id as string;

  it('pages the groups a user is a direct member of, groups only, with $select', async () => {
    const id = idOf(5);
    const groupIds = [...sim.state.groups.keys()].sort();
    for (const gid of groupIds)
      if (!sim.state.members.get(gid)?.has(id)) sim.addGroupMember(gid, id);
    const path = `users/${id}/memberOf/microsoft.graph.group?$select=id,mail,displayName&$top=2`;
    const first = await call(sim, tok, 'GET', path);
    expect(first.body['@odata.context']).toBe(
      `${sim.url}/v1.0/$metadata#groups(id,mail,displayName)`,
    );
    expect(first.body.value[0]).toEqual({
      '@odata.type': '#microsoft.graph.group',
      id: groupIds[0],
      mail: sim.state.groups.get(groupIds[0]!).mail,
      displayName: sim.state.groups.get(groupIds[0]!).displayName,
    });
    const { items, pages } = await followAll(sim, tok, path);
    expect(pages).toBe(2);
    expect(items.map((g) => g.id)).toEqual(groupIds);
    // By UPN too; the route needs a group read permission.
    expect(
      (await call(sim, tok, 'GET', `users/${UPN(5)}/memberOf/microsoft.graph.group`)).status,
    ).toBe(200);
    sim.grantPermissions(['User.Read.All']);
    expectGraphError(await call(sim, tok, 'GET', path), 403, 'Authorization_RequestDenied');
  });

  it('lists licence details of the SKUs a user holds', async () => {
    const res = await call(sim, tok, 'GET', `users/${idOf(1)}/licenseDetails`);
    expect(res.status).toBe(200);
    const held = sim.state.users.get(idOf(1)).assignedLicenses.map((l: any) => l.skuId);
    expect(res.body.value.map((l: any) => l.skuId)).toEqual(held);
    expect(res.body.value[0]).toMatchObject({
      skuPartNumber: sim.state.skus.get(held[0]).skuPartNumber,
      servicePlans: expect.any(Array),
    });
  });

  it('reads and patches automatic replies, validating them as Exchange does', async () => {
    const id = idOf(2);
    const base = `users/${id}/mailboxSettings`;
    const read = await call(sim, tok, 'GET', base);
    expect(read.body.automaticRepliesSetting).toMatchObject({ status: 'disabled' });
    const patched = await call(sim, tok, 'PATCH', base, {
      automaticRepliesSetting: {
        status: 'scheduled',
        internalReplyMessage: 'Away',
        scheduledStartDateTime: { dateTime: '2030-01-01T00:00:00', timeZone: 'UTC' },
        scheduledEndDateTime: { dateTime: '2030-02-01T00:00:00', timeZone: 'UTC' },
      },
    });
    expect(patched.status).toBe(200);
    expect(Object.keys(patched.body).filter((k) => !k.startsWith('@'))).toEqual([
      'automaticRepliesSetting',
    ]);
    expect((await call(sim, tok, 'GET', base)).body.automaticRepliesSetting).toMatchObject({
      status: 'scheduled',
      internalReplyMessage: 'Away',
      scheduledEndDateTime: { dateTime: '2030-02-01T00:00:00' },
    });
    expectGraphError(
      await call(sim, tok, 'PATCH', base, { automaticRepliesSetting: { status: 'sometimes' } }),
      400,
      'ErrorInvalidRequest',
    );
    expectGraphError(
      await call(sim, tok, 'PATCH', base, {
        automaticRepliesSetting: {
          scheduledEndDateTime: { dateTime: '2029-01-01T00:00:00', timeZone: 'UTC' },
        },
      }),
      400,
      'ErrorInvalidRequest',
    );
    sim.grantPermissions(['User.ReadWrite.All', 'MailboxSettings.Read']);
    expectGraphError(
      await call(sim, tok, 'PATCH', base, { automaticRepliesSetting: { status: 'disabled' } }),
      403,
      'Authorization_RequestDenied',
    );
    expect((await call(sim, tok, 'GET', base)).status).toBe(200);
  });

  it('answers 404 MailboxNotEnabledForRESTAPI for a user without a mailbox', async () => {
    sim.touchUser(UPN(6), { mail: null });
    expectGraphError(
      await call(sim, tok, 'GET', `users/${idOf(6)}/mailboxSettings`),
      404,
      'MailboxNotEnabledForRESTAPI',
    );
  });

  it('creates, reads, updates and deletes inbox message rules', async () => {
    const base = `users/${idOf(3)}/mailFolders/inbox/messageRules`;
    expect((await call(sim, tok, 'GET', base)).body.value).toEqual([]);
    expectGraphError(
      await call(sim, tok, 'POST', base, { displayName: 'No sequence', actions: { delete: true } }),
      400,
      'ErrorInvalidRequest',
    );
    const created = await call(sim, tok, 'POST', base, {
      displayName: 'Forward',
      sequence: 1,
      actions: { forwardTo: [{ emailAddress: { address: 'boss@example.test' } }] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      displayName: 'Forward',
      isEnabled: true,
      hasError: false,
    });
    const ruleId = created.body.id as string;
    const updated = await call(sim, tok, 'PATCH', `${base}/${encodeURIComponent(ruleId)}`, {
      isEnabled: false,
    });
    expect(updated.body).toMatchObject({ id: ruleId, isEnabled: false });
    expectGraphError(
      await call(sim, tok, 'PATCH', `${base}/${encodeURIComponent(ruleId)}`, {
        actions: { forwardTo: [{ emailAddress: { address: 'nobody' } }] },
      }),
      400,
      'ErrorInvalidRequest',
    );
    expect((await call(sim, tok, 'DELETE', `${base}/${encodeURIComponent(ruleId)}`)).status).toBe(
      204,
    );
    expectGraphError(
      await call(sim, tok, 'DELETE', `${base}/${encodeURIComponent(ruleId)}`),
      404,
      'ErrorItemNotFound',
    );
    expect(sim.requests.byRoute['messageRules.create']).toBe(2);
  });

  it('shares a default calendar: the organization permission first, one permission per recipient', async () => {
    const base = `users/${idOf(4)}/calendar/calendarPermissions`;
    const list = await call(sim, tok, 'GET', base);
    expect(list.body.value).toEqual([
      expect.objectContaining({ id: 'RGVmYXVsdA==', role: 'freeBusyRead', isRemovable: false }),
    ]);
    const perm = { emailAddress: { address: UPN(5) }, isInsideOrganization: true, role: 'read' };
    const created = await call(sim, tok, 'POST', base, perm);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ role: 'read', isRemovable: true });
    expectGraphError(await call(sim, tok, 'POST', base, perm), 409, 'ErrorItemAlreadyExists');
    expectGraphError(
      await call(sim, tok, 'POST', base, { ...perm, role: 'owner' }),
      400,
      'ErrorInvalidRequest',
    );
    const patched = await call(
      sim,
      tok,
      'PATCH',
      `${base}/${encodeURIComponent(created.body.id)}`,
      { role: 'write' },
    );
    expect(patched.body).toMatchObject({ id: created.body.id, role: 'write' });
    expectGraphError(
      await call(sim, tok, 'DELETE', `${base}/RGVmYXVsdA==`),
      400,
      'ErrorInvalidRequest',
    );
    sim.grantPermissions(['Calendars.Read']);
    expectGraphError(
      await call(sim, tok, 'DELETE', `${base}/${encodeURIComponent(created.body.id)}`),
      403,
      'Authorization_RequestDenied',
    );
    sim.grantPermissions([...GRAPH_APPLICATION_PERMISSIONS]);
    expect(
      (await call(sim, tok, 'DELETE', `${base}/${encodeURIComponent(created.body.id)}`)).status,
    ).toBe(204);
  });
});
