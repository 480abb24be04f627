import { fixedClock } from '@helios/core';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../policy/actor';
import { DEFAULT_WIDGETS } from './dashboard.schema';
import {
  canViewField,
  normalizeVisibility,
  PROFILE_VISIBILITIES,
  type ProfileRelationship,
  type ProfileVisibility,
} from './visibility';

const NOW = '2026-03-15T12:00:00Z';
let t: TestHelios;
const user = (id: string): Actor => ({ type: 'user', userId: id });
const key = (scopes: string[]): Actor => ({
  type: 'apiKey',
  keyId: 'key-1',
  scopes: scopes as never,
});

// Reporting line: boss > mgr > { target, teammate }; outsider has another manager.
let boss: { id: string };
let mgr: { id: string };
let target: { id: string };
let teammate: { id: string };
let outsider: { id: string };

beforeAll(async () => {
  t = await createTestHelios({ clock: fixedClock(NOW) });
  boss = await createTestUser(t.helios, {
    role: 'manager',
    first_name: 'Bea',
    last_name: 'Boss',
    department: 'Privacy',
  });
  mgr = await createTestUser(t.helios, {
    role: 'manager',
    first_name: 'Max',
    last_name: 'Mgr',
    reporting_manager_id: boss.id,
    department: 'Privacy',
  });
  target = await createTestUser(t.helios, {
    first_name: 'Tara',
    last_name: 'Target',
    reporting_manager_id: mgr.id,
    department: 'Privacy',
    bio: 'Secret bio',
    mobile_phone: '+1 555 0100',
  });
  teammate = await createTestUser(t.helios, {
    first_name: 'Tom',
    last_name: 'Mate',
    reporting_manager_id: mgr.id,
    department: 'Privacy',
  });
  outsider = await createTestUser(t.helios, {
    first_name: 'Olga',
    last_name: 'Out',
    reporting_manager_id: boss.id,
    department: 'Privacy',
  });
});
afterAll(() => t.destroy());

describe('privacy rules (unit)', () => {
  const expected: Record<ProfileVisibility, Record<ProfileRelationship, boolean>> = {
    everyone: { self: true, manager: true, team: true, other: true },
    team: { self: true, manager: true, team: true, other: false },
    manager: { self: true, manager: true, team: false, other: false },
    none: { self: true, manager: false, team: false, other: false },
  };
  for (const visibility of PROFILE_VISIBILITIES) {
    for (const relationship of ['self', 'manager', 'team', 'other'] as const) {
      it(`${relationship} ${expected[visibility][relationship] ? 'sees' : 'does not see'} a field visible to ${visibility}`, () => {
        expect(canViewField(visibility, relationship)).toBe(expected[visibility][relationship]);
      });
    }
  }

  it('reads unset, unknown and the schema default as everyone (or the field default)', () => {
    expect(normalizeVisibility(undefined)).toBe('everyone');
    expect(normalizeVisibility('organization')).toBe('everyone');
    expect(normalizeVisibility('bogus', 'bio')).toBe('everyone');
    expect(normalizeVisibility(null, 'addresses')).toBe('manager');
    expect(normalizeVisibility('organization', 'addresses')).toBe('everyone');
    expect(normalizeVisibility(' TEAM ')).toBe('team');
  });
});

describe('privacy matrix on people.get (real database)', () => {
  const viewers = (): Array<[string, Actor, ProfileRelationship | 'admin' | 'key']> => [
    ['self', user(target.id), 'self'],
    ['direct manager', user(mgr.id), 'manager'],
    ['skip-level manager', user(boss.id), 'manager'],
    ['team mate', user(teammate.id), 'team'],
    ['other colleague', user(outsider.id), 'other'],
    ['admin', user(t.admin!.id), 'admin'],
    ['people:read key', key(['people:read']), 'key'],
  ];
  for (const visibility of PROFILE_VISIBILITIES) {
    it(`applies ${visibility} to bio, phone and interests for each viewer`, async () => {
      await t.helios
        .as(user(target.id))
        .profile.visibility.set({ bio: visibility, phone: visibility, interests: visibility });
      if ((await t.helios.repositories.user_interests.count({ user_id: target.id })) === 0) {
        await t.helios.as(user(target.id)).profile.interests.add({ interest: 'Origami' });
      }
      for (const [name, actor, relationship] of viewers()) {
        const sees =
          relationship === 'admin'
            ? true
            : canViewField(visibility, relationship === 'key' ? 'other' : relationship);
        const card = await t.helios.as(actor).people.get(target.id);
        expect({
          name,
          bio: card.bio,
          phone: card.mobilePhone,
          interests: card.interests.length,
          hidden: card.hidden.includes('bio'),
        }).toEqual({
          name,
          bio: sees ? 'Secret bio' : null,
          phone: sees ? '+1 555 0100' : null,
          interests: sees ? 1 : 0,
          hidden: !sees,
        });
      }
    });
  }

  it('keeps addresses and secondary emails to managers by default', async () => {
    await t.helios
      .as(user(target.id))
      .profile.addresses.add({ addressType: 'home', city: 'Springfield' });
    await t.helios.as(user(target.id)).profile.secondaryEmails.add({ email: 'tara@example.org' });
    expect((await t.helios.as(user(mgr.id)).people.get(target.id)).addresses).toHaveLength(1);
    const byMate = await t.helios.as(user(teammate.id)).people.get(target.id);
    expect(byMate.addresses).toEqual([]);
    expect(byMate.secondaryEmails).toEqual([]);
    expect(byMate.hidden).toEqual(expect.arrayContaining(['addresses', 'secondaryEmails']));
  });

  it('hides media per type and never shows storage paths to others', async () => {
    await t.helios.as(user(target.id)).profile.media.set({
      mediaType: 'voice_intro',
      storagePath: 'm/t/v.webm',
      mimeType: 'audio/webm',
      sizeBytes: 10,
    });
    await t.helios.as(user(target.id)).profile.visibility.set({ voiceIntro: 'manager' });
    const byMgr = await t.helios.as(user(mgr.id)).people.get(target.id);
    expect(byMgr.media).toEqual([
      expect.objectContaining({ mediaType: 'voice_intro', mimeType: 'audio/webm' }),
    ]);
    expect(byMgr.media[0]).not.toHaveProperty('storagePath');
    expect((await t.helios.as(user(teammate.id)).people.get(target.id)).media).toEqual([]);
  });

  it('refuses keys without people:read and callers without an actor', async () => {
    await expect(t.helios.as(key(['users:read'])).people.get(target.id)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    await expect(t.helios.people.get(target.id)).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.NO_ACTOR',
    });
    await expect(t.helios.as(user(outsider.id)).people.get('nope')).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    await expect(
      t.helios.as(user(outsider.id)).people.get('00000000-0000-4000-8000-000000000000'),
    ).rejects.toMatchObject({ code: 'PEOPLE.NOT_FOUND' });
  });
});

describe('people directory', () => {
  let ann: { id: string };
  let bob: { id: string };
  let cid: { id: string };
  let dee: { id: string };
  let eve: { id: string };
  beforeAll(async () => {
    const base = { department: 'Paging', location: 'Lyon' };
    ann = await createTestUser(t.helios, {
      ...base,
      first_name: 'Ann',
      last_name: 'Able',
      start_date: '2026-03-10',
      job_title: 'Cartographer',
    });
    bob = await createTestUser(t.helios, {
      ...base,
      first_name: 'Bob',
      last_name: 'Baker',
      start_date: '2026-01-01',
      location: 'Paris',
    });
    cid = await createTestUser(t.helios, {
      ...base,
      first_name: 'Cid',
      last_name: 'Cole',
      start_date: '2026-02-20',
    });
    dee = await createTestUser(t.helios, {
      ...base,
      first_name: 'Dee',
      last_name: 'Dunn',
      start_date: '2026-03-20',
    });
    eve = await createTestUser(t.helios, { ...base, first_name: 'Eve', last_name: 'Ewing' });
    await createTestUser(t.helios, {
      ...base,
      first_name: 'Sus',
      last_name: 'Pended',
      user_status: 'suspended',
      is_active: false,
    });
    await createTestUser(t.helios, {
      ...base,
      first_name: 'Del',
      last_name: 'Eted',
      user_status: 'deleted',
      deleted_at: new Date(NOW),
    });
    await createTestUser(t.helios, {
      first_name: 'Zed',
      last_name: 'Zero',
      department: 'Other',
      location: 'Lyon',
      start_date: '2026-03-01',
    });
  });

  const names = (page: { items: Array<{ firstName: string }> }) =>
    page.items.map((p) => p.firstName);
  const people = (actor: Actor = user(outsider.id)) => t.helios.as(actor).people;

  it('lists active, non-deleted people by name with keyset pages', async () => {
    const seen: string[] = [];
    let cursor: string | null | undefined;
    let pages = 0;
    do {
      const page = await people().list({ department: 'paging', limit: 2, cursor });
      seen.push(...names(page));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(['Ann', 'Bob', 'Cid', 'Dee', 'Eve']);
    expect(pages).toBe(3);
  });

  it('sorts by start date (newest first, missing last) and by department, paging either way', async () => {
    const byStart: string[] = [];
    let cursor: string | null | undefined;
    do {
      const page = await people().list({
        department: 'Paging',
        sort: 'startDate',
        limit: 2,
        cursor,
      });
      byStart.push(...names(page));
      cursor = page.nextCursor;
    } while (cursor);
    expect(byStart).toEqual(['Dee', 'Ann', 'Cid', 'Bob', 'Eve']);
    const asc = await people().list({
      department: 'Paging',
      sort: 'startDate',
      direction: 'asc',
      limit: 10,
    });
    expect(names(asc)).toEqual(['Bob', 'Cid', 'Ann', 'Dee', 'Eve']);
    const byDept: string[] = [];
    cursor = undefined;
    do {
      const page = await people().list({ location: 'lyon', sort: 'department', limit: 3, cursor });
      byDept.push(...names(page));
      cursor = page.nextCursor;
    } while (cursor);
    expect(byDept).toEqual(['Zed', 'Ann', 'Cid', 'Dee', 'Eve']);
  });

  it('filters new joiners (start date within the last 30 days of the clock) and locations', async () => {
    const joiners = await people().list({ department: 'Paging', newJoiners: true });
    expect(names(joiners)).toEqual(['Ann', 'Cid']);
    expect(joiners.items[0]).toMatchObject({
      id: ann.id,
      startDate: '2026-03-10',
      isNewJoiner: true,
      jobTitle: 'Cartographer',
    });
    expect(names(await people().list({ location: 'Paris' }))).toEqual(['Bob']);
    expect(
      names(await people().list({ department: 'Paging', sort: 'startDate', newJoiners: true })),
    ).toEqual(['Ann', 'Cid']);
  });

  it('searches names, job titles, and only the expertise and interests the viewer may see', async () => {
    await t.helios
      .as(user(cid.id))
      .profile.expertise.add({ topic: 'Kubernetes', proficiencyLevel: 'advanced' });
    await t.helios.as(user(dee.id)).profile.interests.add({ interest: 'Knitting 100%' });
    await t.helios.as(user(eve.id)).profile.interests.add({ interest: 'knitting socks' });
    await t.helios.as(user(eve.id)).profile.visibility.set({ interests: 'none' });
    expect(names(await people().list({ q: 'cartog' }))).toEqual(['Ann']);
    expect(names(await people().list({ q: 'BAKER' }))).toEqual(['Bob']);
    expect(names(await people().list({ q: 'kube' }))).toEqual(['Cid']);
    expect(names(await people().list({ q: 'knitting' }))).toEqual(['Dee']);
    expect(names(await people(user(eve.id)).list({ q: 'knitting' }))).toEqual(['Dee', 'Eve']);
    expect(names(await people(user(t.admin!.id)).list({ q: 'knitting' }))).toEqual(['Dee', 'Eve']);
    expect(names(await people(key(['people:read'])).list({ q: 'knitting' }))).toEqual(['Dee']);
    expect(names(await people().list({ q: '100%' }))).toEqual(['Dee']);
    expect(names(await people().list({ q: '_' }))).toEqual([]);
  });

  it('finds people by expertise, most proficient first, respecting visibility', async () => {
    await t.helios
      .as(user(ann.id))
      .profile.expertise.add({ topic: 'Kubernetes operators', proficiencyLevel: 'expert' });
    await t.helios
      .as(user(bob.id))
      .profile.expertise.add({ topic: 'kubernetes', proficiencyLevel: 'beginner' });
    await t.helios.as(user(bob.id)).profile.visibility.set({ expertise: 'team' });
    const found = await people().byExpertise('KUBERNETES');
    expect(found.map((p) => [p.firstName, p.expertise.proficiencyLevel])).toEqual([
      ['Ann', 'expert'],
      ['Cid', 'advanced'],
    ]);
    expect(
      (await people(user(t.admin!.id)).byExpertise('kubernetes')).map((p) => p.firstName),
    ).toEqual(['Ann', 'Cid', 'Bob']);
    await expect(people().byExpertise('')).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
  });

  it('shows a team: manager, peers and reports', async () => {
    const team = await people(user(mgr.id)).team();
    expect(team.person.id).toBe(mgr.id);
    expect(team.manager?.id).toBe(boss.id);
    expect(team.peers.map((p) => p.id)).toEqual([outsider.id]);
    expect(team.reports.map((p) => p.firstName)).toEqual(['Tara', 'Tom']);
    const ofTarget = await people(key(['people:read'])).team(target.id);
    expect(ofTarget.peers.map((p) => p.id)).toEqual([teammate.id]);
    await expect(people(key(['people:read'])).team()).rejects.toMatchObject({
      code: 'PEOPLE.USER_REQUIRED',
    });
    await expect(people().team('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
      code: 'PEOPLE.NOT_FOUND',
    });
  });

  it('rejects bad filters and cursors with INVALID_INPUT', async () => {
    const page = await people().list({ department: 'Paging', limit: 1 });
    await expect(people().list({ limit: 0 })).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(people().list({ sort: 'salary' as never })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(people().list({ departmentId: 'x' })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(people().list({ cursor: "1' or 1=1" })).rejects.toMatchObject({
      code: 'PAGING.INVALID_CURSOR',
    });
    await expect(
      people().list({ department: 'Paging', sort: 'startDate', cursor: page.nextCursor }),
    ).rejects.toMatchObject({ code: 'PAGING.INVALID_CURSOR' });
    const forged = Buffer.from(JSON.stringify([1, 'name', 'asc', 0, 'a', '', 'x'])).toString(
      'base64url',
    );
    await expect(people().list({ cursor: forged })).rejects.toMatchObject({
      code: 'PAGING.INVALID_CURSOR',
    });
    await expect(people(key(['groups:read'])).list()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(t.helios.people.list()).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
  });
});

describe('dashboard widgets', () => {
  const count = (userId: string) =>
    t.helios.repositories.user_dashboard_widgets.count({ user_id: userId });

  it('returns the defaults until a layout is saved, then the saved one', async () => {
    const initial = await t.helios.as(user(teammate.id)).dashboard.get();
    expect(initial).toMatchObject({ userId: teammate.id, isDefault: true });
    expect(initial.widgets.map((w) => w.widgetType)).toEqual([...DEFAULT_WIDGETS]);
    const saved = await t.helios.as(user(teammate.id)).dashboard.set([
      { widgetType: 'system-alerts', position: 1 },
      { widgetType: 'helios-guests', position: 0, isVisible: false, config: { range: '30d' } },
    ]);
    expect(saved).toMatchObject({
      isDefault: false,
      widgets: [
        { widgetType: 'helios-guests', position: 0, isVisible: false, config: { range: '30d' } },
        { widgetType: 'system-alerts', position: 1, isVisible: true, config: {} },
      ],
    });
    expect(await t.helios.as(user(teammate.id)).dashboard.get()).toEqual(saved);
    const replaced = await t.helios
      .as(user(teammate.id))
      .dashboard.set([{ widgetType: 'google-admins' }]);
    expect(replaced.widgets).toEqual([
      { widgetType: 'google-admins', position: 0, isVisible: true, config: {} },
    ]);
    expect(await count(teammate.id)).toBe(1);
    const audit = (await t.asAdmin.audit.list({ action: 'dashboard.widgets_set' })).items;
    expect(audit[0]).toMatchObject({
      resource: 'user_dashboard',
      resourceId: teammate.id,
      actorId: teammate.id,
    });
    const reset = await t.helios.as(user(teammate.id)).dashboard.set([]);
    expect(reset.isDefault).toBe(true);
    expect(await count(teammate.id)).toBe(0);
  });

  it('rejects unknown widgets, duplicates and clashing positions, keeping the old layout', async () => {
    await t.helios.as(user(target.id)).dashboard.set([{ widgetType: 'system-alerts' }]);
    for (const widgets of [
      [{ widgetType: 'crypto-prices' }],
      [{ widgetType: 'system-alerts' }, { widgetType: 'system-alerts' }],
      [
        { widgetType: 'system-alerts', position: 0 },
        { widgetType: 'helios-guests', position: 0 },
      ],
      [{ widgetType: 'system-alerts', position: -1 }],
      [{ widgetType: 'system-alerts', extra: true }],
    ]) {
      await expect(
        t.helios.as(user(target.id)).dashboard.set(widgets as never),
      ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    }
    expect(
      (await t.helios.as(user(target.id)).dashboard.get()).widgets.map((w) => w.widgetType),
    ).toEqual(['system-alerts']);
  });

  it('lets users manage their own and admins anyone’s, refusing the rest with nothing written', async () => {
    const layout = [{ widgetType: 'helios-total-users' as const }];
    for (const actor of [
      user(outsider.id),
      user(mgr.id),
      key(['people:write']),
      key(['people:read']),
    ]) {
      await expect(
        t.helios.as(actor).dashboard.set(layout, { userId: target.id }),
      ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
      await expect(t.helios.as(actor).dashboard.get({ userId: target.id })).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
    }
    await expect(t.helios.dashboard.set(layout, { userId: target.id })).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
    });
    expect(
      (await t.helios.as(user(target.id)).dashboard.get()).widgets.map((w) => w.widgetType),
    ).toEqual(['system-alerts']);
    const byAdmin = await t.asAdmin.dashboard.set(layout, { userId: target.id });
    expect(byAdmin.widgets.map((w) => w.widgetType)).toEqual(['helios-total-users']);
    expect((await t.asAdmin.dashboard.get({ userId: target.id })).isDefault).toBe(false);
    expect(
      (await t.asAdmin.audit.list({ action: 'dashboard.widgets_set' })).items[0],
    ).toMatchObject({ actorId: t.admin!.id, resourceId: target.id });
  });
});
