import type { GoogleDirectorySimulator, GraphSimulator, TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealSecret } from '../../shared/secret-stores';
import { closeBothClouds, startBothClouds } from './writeback.test-kit';

// One domain in both clouds: the same address can exist in Google and in Microsoft 365.
const DOMAIN = 'twins.test';
let t: TestHelios;
let google: GoogleDirectorySimulator;
let graph: GraphSimulator;

beforeAll(async () => {
  [t, google, graph] = await startBothClouds(DOMAIN, 1);
  await t.asAdmin.google.credentials.configure({
    serviceAccountKey: google.serviceAccountKey,
    adminEmail: google.adminEmail,
    domain: DOMAIN,
  });
  await t.asAdmin.microsoft.credentials.configure({
    tenantId: graph.tenantId,
    clientId: graph.clientId,
    clientSecret: graph.clientSecret,
  });
}, 60_000);
afterAll(() => closeBothClouds(t, google, graph));

const rows = (address: string) =>
  t.helios.db
    .selectFrom('user_initial_passwords')
    .select(['id', 'provider', 'revealed_at'])
    .where('organization_id', '=', t.organizationId!)
    .where('user_email', '=', address)
    .orderBy('provider')
    .execute();

const createInGoogle = async (address: string) => {
  const user = await t.asAdmin.google.writeback.createUser({
    primaryEmail: address,
    givenName: 'Twin',
    familyName: 'Both',
  });
  return { id: user.googleId, password: () => google.state.passwords.get(user.googleId) };
};
const createInMicrosoft = async (address: string) => {
  const user = await t.asAdmin.microsoft.writeback.createUser({
    userPrincipalName: address,
    displayName: 'Twin Both',
    givenName: 'Twin',
    surname: 'Both',
  });
  return { id: user.msId, password: () => graph.state.passwords.get(user.msId) };
};

/** A row as code before migration 0006 stored it: no provider column, the provider (if any) only inside the sealed value. */
async function storeLegacy(address: string, plain: string): Promise<string> {
  const row = await t.helios.db
    .insertInto('user_initial_passwords')
    .values({
      organization_id: t.organizationId!,
      user_email: address,
      encrypted_password: 'pending',
      created_by: t.admin!.id,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const sealed = sealSecret(
    t.helios.secretBox!,
    'user_initial_passwords',
    'encrypted_password',
    row.id,
    plain,
  );
  await t.helios.db
    .updateTable('user_initial_passwords')
    .set({ encrypted_password: sealed })
    .where('id', '=', row.id)
    .execute();
  return row.id;
}
const envelope = (provider: string, password: string) => JSON.stringify({ provider, password });

describe('initial passwords keyed per cloud', () => {
  it('keeps both passwords when the same address is created in Google then Microsoft, each revealed once by its own cloud', async () => {
    const address = `twin@${DOMAIN}`;
    const inGoogle = await createInGoogle(address);
    const inMicrosoft = await createInMicrosoft(address);
    expect(inGoogle.password()).toBeTruthy();
    expect(inGoogle.password()).not.toBe(inMicrosoft.password());
    expect((await rows(address)).map((r) => [r.provider, r.revealed_at])).toEqual([
      ['google_workspace', null],
      ['microsoft_365', null],
    ]);

    const fromMicrosoft = await t.asAdmin.microsoft.writeback.revealInitialPassword(address);
    expect(fromMicrosoft.password).toBe(inMicrosoft.password());
    await expect(
      t.asAdmin.microsoft.writeback.revealInitialPassword(address),
    ).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'MICROSOFT_WRITEBACK.INITIAL_PASSWORD_REVEALED',
    });
    // Microsoft's reveal left Google's password pending.
    const fromGoogle = await t.asAdmin.google.writeback.revealInitialPassword(address);
    expect(fromGoogle.password).toBe(inGoogle.password());
    await expect(t.asAdmin.google.writeback.revealInitialPassword(address)).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'GOOGLE_WRITEBACK.INITIAL_PASSWORD_REVEALED',
    });
    expect((await rows(address)).every((r) => r.revealed_at !== null)).toBe(true);
  });

  it("replaces only its own cloud's password: a Microsoft reset leaves Google's pending one alone", async () => {
    const address = `reset@${DOMAIN}`;
    const inGoogle = await createInGoogle(address);
    const inMicrosoft = await createInMicrosoft(address);
    const first = await t.asAdmin.microsoft.writeback.revealInitialPassword(address);
    expect(first.password).toBe(inMicrosoft.password());
    const before = await rows(address);

    await t.asAdmin.microsoft.writeback.resetPassword(inMicrosoft.id);
    const after = await rows(address);
    // The same two rows: Microsoft's is pending again with the new password, Google's untouched.
    expect(after.map((r) => r.id)).toEqual(before.map((r) => r.id));
    expect(after.map((r) => [r.provider, r.revealed_at === null])).toEqual([
      ['google_workspace', true],
      ['microsoft_365', true],
    ]);
    expect((await t.asAdmin.microsoft.writeback.revealInitialPassword(address)).password).toBe(
      inMicrosoft.password(),
    );
    expect(inMicrosoft.password()).not.toBe(first.password);
    expect((await t.asAdmin.google.writeback.revealInitialPassword(address)).password).toBe(
      inGoogle.password(),
    );
  });

  it('resolves rows stored before migration 0006 from their sealed value when a cloud stores a password for the address', async () => {
    // Google sealed it: a Microsoft password for the address keeps it, now recorded as Google's.
    const kept = `kept@${DOMAIN}`;
    const keptId = await storeLegacy(kept, envelope('google_workspace', 'Old-google-1'));
    const inMicrosoft = await createInMicrosoft(kept);
    expect((await rows(kept)).map((r) => [r.id === keptId, r.provider])).toEqual([
      [true, 'google_workspace'],
      [false, 'microsoft_365'],
    ]);
    expect((await t.asAdmin.google.writeback.revealInitialPassword(kept)).password).toBe(
      'Old-google-1',
    );
    expect((await t.asAdmin.microsoft.writeback.revealInitialPassword(kept)).password).toBe(
      inMicrosoft.password(),
    );

    // Microsoft sealed it: a new Microsoft password replaces it, as before 0006.
    const replaced = `replaced@${DOMAIN}`;
    const replacedId = await storeLegacy(replaced, envelope('microsoft_365', 'Old-microsoft-1'));
    const again = await createInMicrosoft(replaced);
    const after = await rows(replaced);
    expect(after.map((r) => r.provider)).toEqual(['microsoft_365']);
    expect(after[0]!.id).not.toBe(replacedId);
    expect((await t.asAdmin.microsoft.writeback.revealInitialPassword(replaced)).password).toBe(
      again.password(),
    );

    // A bare password (sealed before the provider was recorded at all) is replaced by whichever cloud stores next.
    const bare = `bare@${DOMAIN}`;
    await storeLegacy(bare, 'Old-bare-1');
    const inGoogle = await createInGoogle(bare);
    expect((await rows(bare)).map((r) => r.provider)).toEqual(['google_workspace']);
    expect((await t.asAdmin.google.writeback.revealInitialPassword(bare)).password).toBe(
      inGoogle.password(),
    );
  });

  it('reveals a row stored before migration 0006 only to the cloud that sealed it, and records that cloud', async () => {
    const address = `legacy@${DOMAIN}`;
    const id = await storeLegacy(address, envelope('microsoft_365', 'Legacy-ms-1'));
    await expect(t.asAdmin.google.writeback.revealInitialPassword(address)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'GOOGLE_WRITEBACK.INITIAL_PASSWORD_NOT_FOUND',
    });
    expect(await rows(address)).toEqual([{ id, provider: null, revealed_at: null }]);
    expect((await t.asAdmin.microsoft.writeback.revealInitialPassword(address)).password).toBe(
      'Legacy-ms-1',
    );
    expect((await rows(address)).map((r) => [r.provider, r.revealed_at !== null])).toEqual([
      ['microsoft_365', true],
    ]);
    await expect(
      t.asAdmin.microsoft.writeback.revealInitialPassword(address),
    ).rejects.toMatchObject({
      code: 'MICROSOFT_WRITEBACK.INITIAL_PASSWORD_REVEALED',
    });
  });
});
