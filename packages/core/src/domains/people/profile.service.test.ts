import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../policy/actor';

let t: TestHelios;
let manager: { id: string; email: string };
let report: { id: string; email: string };
let stranger: { id: string; email: string };
let otherManager: { id: string };
const user = (id: string): Actor => ({ type: 'user', userId: id });
const key = (scopes: string[]): Actor => ({
  type: 'apiKey',
  keyId: 'key-1',
  scopes: scopes as never,
});
const as = (actor: Actor) => t.helios.as(actor).profile;

beforeAll(async () => {
  t = await createTestHelios();
  manager = await createTestUser(t.helios, {
    role: 'manager',
    first_name: 'Mona',
    last_name: 'Manager',
  });
  report = await createTestUser(t.helios, {
    reporting_manager_id: manager.id,
    first_name: 'Rita',
    last_name: 'Report',
  });
  stranger = await createTestUser(t.helios, { first_name: 'Sam', last_name: 'Stranger' });
  otherManager = await createTestUser(t.helios, { role: 'manager' });
});
afterAll(() => t.destroy());

const auditRows = async (action: string) =>
  (await t.asAdmin.audit.list({ action, limit: 500 })).items;
const userRow = (id: string) => t.helios.repositories.organization_users.getById(id);

describe('profile.get and profile.update', () => {
  it('returns the acting user’s own profile with defaults', async () => {
    const me = await as(user(report.id)).get();
    expect(me).toMatchObject({
      id: report.id,
      email: report.email,
      firstName: 'Rita',
      fullName: 'Rita Report',
      reportingManagerId: manager.id,
      interests: [],
      funFacts: [],
      hidden: [],
      timezone: 'UTC',
      preferredLanguage: 'en',
    });
    expect(me.visibility).toMatchObject({
      bio: 'everyone',
      phone: 'everyone',
      addresses: 'manager',
      secondaryEmails: 'manager',
    });
  });

  it('updates personal fields, clears with empty strings, audits profile.update and records activity', async () => {
    const updated = await as(user(report.id)).update({
      bio: 'Loves maps.',
      mobilePhone: '+33 6 12 34 56 78',
      workPhone: '(555) 123-4567',
      workPhoneExtension: '42',
      timezone: 'Europe/Paris',
      preferredLanguage: 'fr-FR',
      firstName: ' Rita ',
    });
    expect(updated).toMatchObject({
      bio: 'Loves maps.',
      mobilePhone: '+33 6 12 34 56 78',
      timezone: 'Europe/Paris',
      preferredLanguage: 'fr-FR',
      firstName: 'Rita',
    });
    const cleared = await as(user(report.id)).update({ workPhoneExtension: '' });
    expect(cleared.workPhoneExtension).toBeNull();
    const rows = await auditRows('profile.update');
    expect(rows[0]).toMatchObject({
      resource: 'user_profile',
      resourceId: report.id,
      actorId: report.id,
      details: { work_phone_extension: { from: '42', to: null } },
    });
    expect(rows[1]?.details).toMatchObject({
      bio: { from: null, to: 'Loves maps.' },
      timezone: { from: 'UTC', to: 'Europe/Paris' },
    });
    const activity = await t.asAdmin.audit.activity({ userId: report.id });
    expect(activity.items.map((a) => a.action)).toContain('profile.update');
  });

  it('rejects invalid fields with VALIDATION.FAILED and writes nothing', async () => {
    const before = await userRow(report.id);
    const auditBefore = (await auditRows('profile.update')).length;
    for (const input of [
      { timezone: 'Mars/Olympus_Mons' },
      { mobilePhone: 'call me' },
      { workPhoneExtension: 'x12' },
      { preferredLanguage: 'english please' },
      { firstName: '' },
      { bio: 'x'.repeat(2001) },
      {},
      { email: 'evil@acme.test' },
    ]) {
      await expect(as(user(report.id)).update(input as never)).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'VALIDATION.FAILED',
      });
    }
    const after = await userRow(report.id);
    expect(after).toMatchObject({
      bio: before.bio,
      timezone: before.timezone,
      first_name: before.first_name,
      email: before.email,
    });
    expect((await auditRows('profile.update')).length).toBe(auditBefore);
  });

  it('lets a manager edit a report and an admin anyone, and refuses everyone else with nothing written', async () => {
    await as(user(manager.id)).update({ bio: 'Set by my manager' }, { userId: report.id });
    expect((await userRow(report.id)).bio).toBe('Set by my manager');
    await as(user(t.admin!.id)).update({ bio: 'Set by the admin' }, { userId: stranger.id });
    expect((await userRow(stranger.id)).bio).toBe('Set by the admin');
    const auditBefore = (await auditRows('profile.update')).length;
    const refusals: Array<[Actor, string]> = [
      [user(report.id), stranger.id], // a user editing someone else
      [user(stranger.id), report.id],
      [user(report.id), manager.id], // a report editing their manager
      [user(otherManager.id), report.id], // a manager editing a non-report
      [key(['people:read']), report.id], // a key without people:write
    ];
    for (const [actor, userId] of refusals) {
      await expect(as(actor).update({ bio: 'hijacked' }, { userId })).rejects.toMatchObject({
        kind: 'FORBIDDEN',
        code: 'POLICY.FORBIDDEN',
      });
    }
    await expect(
      t.helios.profile.update({ bio: 'hijacked' }, { userId: report.id }),
    ).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.NO_ACTOR',
    });
    expect((await userRow(report.id)).bio).toBe('Set by my manager');
    expect((await userRow(manager.id)).bio).toBeNull();
    expect((await auditRows('profile.update')).length).toBe(auditBefore);
  });

  it('lets API keys with people:write act for a named user only', async () => {
    await expect(as(key(['people:write'])).update({ bio: 'via key' })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'PROFILE.USER_REQUIRED',
    });
    const updated = await as(key(['people:write'])).update(
      { bio: 'via key' },
      { userId: stranger.id },
    );
    expect(updated.bio).toBe('via key');
    expect((await auditRows('profile.update'))[0]).toMatchObject({
      actorType: 'api_key',
      actorId: 'key-1',
      resourceId: stranger.id,
    });
  });

  it('returns NOT_FOUND for unknown users and INVALID_INPUT for malformed ids (admins)', async () => {
    await expect(
      t.asAdmin.profile.get({ userId: '00000000-0000-4000-8000-000000000000' }),
    ).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'PEOPLE.NOT_FOUND',
    });
    await expect(t.asAdmin.profile.get({ userId: 'nope' })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    await expect(as(user(report.id)).get({ userId: 'nope' })).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
  });

  it('shows someone else’s whole profile only to those who may edit it, managers with privacy applied', async () => {
    await as(user(report.id)).visibility.set({ bio: 'none', phone: 'manager' });
    await expect(as(user(stranger.id)).get({ userId: report.id })).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(as(key(['people:read'])).get({ userId: report.id })).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    const byManager = await as(user(manager.id)).get({ userId: report.id });
    expect(byManager.bio).toBeNull();
    expect(byManager.mobilePhone).toBe('+33 6 12 34 56 78');
    expect(byManager.hidden).toEqual(['bio']);
    const byAdmin = await t.asAdmin.profile.get({ userId: report.id });
    expect(byAdmin.bio).toBe('Set by my manager');
    expect(byAdmin.hidden).toEqual([]);
    await as(user(report.id)).visibility.set({ bio: 'everyone', phone: 'everyone' });
  });
});

describe('interests', () => {
  it('adds, lists and removes interests with audit rows', async () => {
    const chess = await as(user(report.id)).interests.add({
      interest: ' Chess ',
      category: 'Games',
    });
    await as(user(report.id)).interests.add({ interest: 'Archery' });
    expect((await as(user(report.id)).interests.list()).map((i) => i.interest)).toEqual([
      'Archery',
      'Chess',
    ]);
    expect(chess).toMatchObject({ interest: 'Chess', category: 'Games' });
    await as(user(report.id)).interests.remove(chess.id);
    expect((await as(user(report.id)).interests.list()).map((i) => i.interest)).toEqual([
      'Archery',
    ]);
    expect((await auditRows('profile.interest_add'))[0]).toMatchObject({
      resourceId: report.id,
      details: { interest: 'Archery' },
    });
    expect((await auditRows('profile.interest_remove'))[0]).toMatchObject({
      resourceId: report.id,
      details: { itemId: chess.id, interest: 'Chess' },
    });
  });

  it('refuses duplicates (any case), bad input and other people’s items, writing nothing', async () => {
    const count = () => t.helios.repositories.user_interests.count({ user_id: report.id });
    const before = await count();
    await expect(as(user(report.id)).interests.add({ interest: 'ARCHERY' })).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'PROFILE.INTEREST_EXISTS',
    });
    await expect(as(user(report.id)).interests.add({ interest: '' })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(
      as(user(report.id)).interests.add({ interest: 'x'.repeat(101) }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(
      as(user(stranger.id)).interests.add({ interest: 'Spying' }, { userId: report.id }),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(
      as(key([])).interests.add({ interest: 'Spying' }, { userId: report.id }),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    expect(await count()).toBe(before);
    const [archery] = await as(user(report.id)).interests.list();
    await expect(as(user(stranger.id)).interests.remove(archery!.id)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'PROFILE.INTEREST_NOT_FOUND',
    });
    await expect(
      as(user(stranger.id)).interests.remove(archery!.id, { userId: report.id }),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(as(user(report.id)).interests.remove('not-a-uuid')).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    expect(await count()).toBe(before);
  });
});

describe('fun facts', () => {
  it('adds in order, updates, reorders and removes', async () => {
    const a = await as(user(stranger.id)).funFacts.add({ fact: 'Fact A' });
    const b = await as(user(stranger.id)).funFacts.add({ fact: 'Fact B', isVisible: false });
    const c = await as(user(stranger.id)).funFacts.add({ fact: 'Fact C' });
    expect([a.sortOrder, b.sortOrder, c.sortOrder]).toEqual([0, 1, 2]);
    const changed = await as(user(stranger.id)).funFacts.update(a.id, { fact: 'Fact A2' });
    expect(changed).toMatchObject({ fact: 'Fact A2', isVisible: true });
    const reordered = await as(user(stranger.id)).funFacts.reorder([c.id, a.id, b.id]);
    expect(reordered.map((f) => f.fact)).toEqual(['Fact C', 'Fact A2', 'Fact B']);
    expect((await auditRows('profile.fun_facts_reorder'))[0]?.details).toMatchObject({
      to: [c.id, a.id, b.id],
    });
    // Hidden facts reach the owner only.
    expect(
      (await t.helios.as(user(report.id)).people.get(stranger.id)).funFacts.map((f) => f.fact),
    ).toEqual(['Fact C', 'Fact A2']);
    await as(user(stranger.id)).funFacts.remove(c.id);
    expect((await as(user(stranger.id)).funFacts.list()).map((f) => f.fact)).toEqual([
      'Fact A2',
      'Fact B',
    ]);
    expect((await auditRows('profile.fun_fact_update'))[0]?.details).toMatchObject({
      fact: { from: 'Fact A', to: 'Fact A2' },
    });
  });

  it('refuses a reorder that is not exactly the user’s facts, and bad updates', async () => {
    const facts = await as(user(stranger.id)).funFacts.list();
    const ids = facts.map((f) => f.id);
    await expect(as(user(stranger.id)).funFacts.reorder([ids[0]!])).rejects.toMatchObject({
      code: 'PROFILE.REORDER_MISMATCH',
    });
    await expect(as(user(stranger.id)).funFacts.reorder([ids[0]!, ids[0]!])).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(as(user(stranger.id)).funFacts.update(ids[0]!, {})).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(
      as(user(report.id)).funFacts.update(ids[0]!, { fact: 'mine now' }),
    ).rejects.toMatchObject({ code: 'PROFILE.FUN_FACT_NOT_FOUND' });
    expect((await as(user(stranger.id)).funFacts.list()).map((f) => f.id)).toEqual(ids);
  });

  it('stops at the fun fact limit with PROFILE.LIMIT_REACHED', async () => {
    const fresh = await createTestUser(t.helios);
    for (let i = 0; i < 20; i++) await as(user(fresh.id)).funFacts.add({ fact: `Fact ${i}` });
    await expect(as(user(fresh.id)).funFacts.add({ fact: 'One too many' })).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'PROFILE.LIMIT_REACHED',
    });
    expect(await t.helios.repositories.user_fun_facts.count({ user_id: fresh.id })).toBe(20);
  });
});

describe('expertise', () => {
  it('adds topics with a proficiency level (default intermediate) and removes them', async () => {
    const pg = await as(user(report.id)).expertise.add({
      topic: 'PostgreSQL',
      proficiencyLevel: 'expert',
      isWillingToHelp: false,
    });
    const ts = await as(user(report.id)).expertise.add({ topic: 'TypeScript' });
    expect(pg).toMatchObject({
      topic: 'PostgreSQL',
      proficiencyLevel: 'expert',
      isWillingToHelp: false,
    });
    expect(ts).toMatchObject({ proficiencyLevel: 'intermediate', isWillingToHelp: true });
    await expect(as(user(report.id)).expertise.add({ topic: 'postgresql' })).rejects.toMatchObject({
      code: 'PROFILE.EXPERTISE_EXISTS',
    });
    await expect(
      as(user(report.id)).expertise.add({ topic: 'Go', proficiencyLevel: 'guru' as never }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await as(user(report.id)).expertise.remove(ts.id);
    expect((await as(user(report.id)).expertise.list()).map((e) => e.topic)).toEqual([
      'PostgreSQL',
    ]);
    expect((await auditRows('profile.expertise_add'))[0]?.details).toMatchObject({
      topic: 'TypeScript',
      proficiency_level: 'intermediate',
    });
    expect(await auditRows('profile.expertise_remove')).toHaveLength(1);
  });
});

describe('addresses', () => {
  it('keeps one primary address: the first, then an explicit one, then the oldest left', async () => {
    const home = await as(user(report.id)).addresses.add({
      addressType: 'home',
      streetAddress1: '1 Rue Haute',
      city: 'Lyon',
      country: 'FR',
    });
    expect(home.isPrimary).toBe(true);
    const work = await as(user(report.id)).addresses.add({ city: 'Paris', isPrimary: true });
    expect(work).toMatchObject({ addressType: 'work', isPrimary: true });
    let list = await as(user(report.id)).addresses.list();
    expect(list.filter((a) => a.isPrimary).map((a) => a.id)).toEqual([work.id]);
    const updated = await as(user(report.id)).addresses.update(home.id, {
      postalCode: '69001',
      isPrimary: true,
    });
    expect(updated).toMatchObject({ postalCode: '69001', isPrimary: true });
    list = await as(user(report.id)).addresses.list();
    expect(list.filter((a) => a.isPrimary).map((a) => a.id)).toEqual([home.id]);
    await as(user(report.id)).addresses.remove(home.id);
    list = await as(user(report.id)).addresses.list();
    expect(list).toMatchObject([{ id: work.id, isPrimary: true }]);
    expect((await auditRows('profile.address_remove'))[0]?.details).toMatchObject({
      wasPrimary: true,
      promoted: work.id,
    });
  });

  it('refuses empty or invalid addresses and writes nothing', async () => {
    const count = () => t.helios.repositories.user_addresses.count({ user_id: report.id });
    const before = await count();
    await expect(as(user(report.id)).addresses.add({ addressType: 'home' })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(
      as(user(report.id)).addresses.add({ addressType: 'castle' as never, city: 'X' }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    const [work] = await as(user(report.id)).addresses.list();
    await expect(
      as(user(report.id)).addresses.update(work!.id, { city: '' }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(
      as(user(stranger.id)).addresses.update(work!.id, { city: 'Nice' }),
    ).rejects.toMatchObject({ code: 'PROFILE.ADDRESS_NOT_FOUND' });
    expect(await count()).toBe(before);
    expect((await as(user(report.id)).addresses.list())[0]?.city).toBe('Paris');
  });
});

describe('secondary emails', () => {
  it('adds normalized addresses, refuses duplicates and the primary address with USERS.SECONDARY_EMAIL_TAKEN', async () => {
    const added = await as(user(report.id)).secondaryEmails.add({ email: ' Rita@Example.ORG ' });
    expect(added).toMatchObject({
      email: 'rita@example.org',
      emailType: 'personal',
      isVerified: false,
    });
    const count = () => t.helios.repositories.user_secondary_emails.count({ user_id: report.id });
    await expect(
      as(user(report.id)).secondaryEmails.add({ email: 'rita@example.org' }),
    ).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'USERS.SECONDARY_EMAIL_TAKEN',
    });
    await expect(
      as(user(report.id)).secondaryEmails.add({ email: report.email.toUpperCase() }),
    ).rejects.toMatchObject({ code: 'USERS.SECONDARY_EMAIL_TAKEN' });
    await expect(
      as(user(report.id)).secondaryEmails.add({ email: 'not an email' }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    expect(await count()).toBe(1);
    // Another user may list the same address: unique per user.
    await as(user(stranger.id)).secondaryEmails.add({
      email: 'rita@example.org',
      emailType: 'work',
    });
    await as(user(report.id)).secondaryEmails.remove(added.id);
    expect(await count()).toBe(0);
    expect((await auditRows('profile.secondary_email_add'))[0]?.details).toMatchObject({
      email: 'rita@example.org',
      emailType: 'work',
    });
    expect((await auditRows('profile.secondary_email_remove'))[0]?.details).toMatchObject({
      itemId: added.id,
    });
  });
});

describe('media metadata', () => {
  const voice = {
    mediaType: 'voice_intro' as const,
    storagePath: 'media/r/voice.webm',
    mimeType: 'audio/webm',
    sizeBytes: 1000,
    durationSeconds: 30,
  };

  it('records one file per media type, replacing the previous one', async () => {
    const first = await as(user(report.id)).media.set(voice);
    expect(first).toMatchObject({
      mediaType: 'voice_intro',
      storagePath: 'media/r/voice.webm',
      sizeBytes: 1000,
      storageType: 'minio',
    });
    const second = await as(user(report.id)).media.set({
      ...voice,
      storagePath: 'media/r/voice2.ogg',
      mimeType: 'audio/ogg',
    });
    const list = await as(user(report.id)).media.list();
    expect(list.map((m) => m.id)).toEqual([second.id]);
    expect((await auditRows('profile.media_set'))[0]?.details).toMatchObject({
      mediaType: 'voice_intro',
      replaced: [{ id: first.id }],
    });
    const removed = await as(user(report.id)).media.remove('voice_intro');
    expect(removed.storagePath).toBe('media/r/voice2.ogg');
    await expect(as(user(report.id)).media.remove('voice_intro')).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'PROFILE.MEDIA_NOT_FOUND',
    });
  });

  it('enforces the MIME types, size and duration limits of each type, writing nothing', async () => {
    const cases: Array<[object, string]> = [
      [{ ...voice, sizeBytes: 5 * 1024 * 1024 + 1 }, 'sizeBytes'],
      [{ ...voice, durationSeconds: 61 }, 'durationSeconds'],
      [{ ...voice, mimeType: 'video/mp4' }, 'mimeType'],
      [{ ...voice, mediaType: 'name_pronunciation', durationSeconds: 11 }, 'durationSeconds'],
      [{ ...voice, mediaType: 'name_pronunciation', sizeBytes: 1024 * 1024 + 1 }, 'sizeBytes'],
      [
        { ...voice, mediaType: 'video_intro', mimeType: 'video/mp4', durationSeconds: 121 },
        'durationSeconds',
      ],
      [{ ...voice, storagePath: '../../etc/passwd' }, 'storagePath'],
      [{ ...voice, mediaType: 'selfie' }, 'mediaType'],
    ];
    for (const [input, path] of cases) {
      await expect(as(user(report.id)).media.set(input as never)).rejects.toMatchObject({
        code: 'VALIDATION.FAILED',
        details: { issues: expect.arrayContaining([expect.objectContaining({ path })]) },
      });
    }
    const big = await as(user(report.id)).media.set({
      ...voice,
      mediaType: 'video_intro',
      mimeType: 'video/mp4',
      sizeBytes: 50 * 1024 * 1024,
      durationSeconds: 120,
    });
    expect(big.sizeBytes).toBe(50 * 1024 * 1024);
    expect(await t.helios.repositories.user_media.count({ user_id: report.id })).toBe(1);
  });
});

describe('field visibility', () => {
  it('defaults, sets, takes organization as everyone and refuses unknown fields or values', async () => {
    const map = await as(user(stranger.id)).visibility.set({
      phone: 'team',
      bio: 'organization',
      addresses: 'none',
    });
    expect(map).toMatchObject({
      phone: 'team',
      bio: 'everyone',
      addresses: 'none',
      interests: 'everyone',
      secondaryEmails: 'manager',
    });
    expect(await as(user(stranger.id)).visibility.get()).toEqual(map);
    const stored = await t.helios.db
      .selectFrom('user_field_visibility')
      .select(['field_name', 'visibility'])
      .where('user_id', '=', stranger.id)
      .execute();
    expect(stored).toEqual(expect.arrayContaining([{ field_name: 'phone', visibility: 'team' }]));
    await expect(
      as(user(stranger.id)).visibility.set({ phone: 'friends' as never }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(
      as(user(stranger.id)).visibility.set({ salary: 'none' } as never),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(as(user(stranger.id)).visibility.set({})).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(
      as(user(report.id)).visibility.set({ phone: 'none' }, { userId: stranger.id }),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    expect((await as(user(stranger.id)).visibility.get()).phone).toBe('team');
    expect((await auditRows('profile.visibility_update'))[0]).toMatchObject({
      resourceId: stranger.id,
      details: { phone: { from: 'everyone', to: 'team' } },
    });
  });

  it('reads stored schema-default and unknown values as everyone / the field default', async () => {
    await t.helios.db
      .insertInto('user_field_visibility')
      .values([
        { user_id: otherManager.id, field_name: 'interests', visibility: 'organization' },
        { user_id: otherManager.id, field_name: 'bio', visibility: 'weird' },
        { user_id: otherManager.id, field_name: 'addresses', visibility: 'weird' },
        { user_id: otherManager.id, field_name: 'legacy_field', visibility: 'none' },
      ])
      .execute();
    expect(await as(user(otherManager.id)).visibility.get()).toMatchObject({
      interests: 'everyone',
      bio: 'everyone',
      addresses: 'manager',
    });
  });
});
