/**
 * Initial passwords of users created (or reset) through a write-back, shared by both clouds:
 * generated strong, stored encrypted in `user_initial_passwords`, revealed once to an administrator.
 *
 * The store is keyed per cloud: one row per (organization, address, provider), so Google and
 * Microsoft each keep their own pending password for the same address, and a reveal opens only its
 * own cloud's row. The sealed value also carries the provider
 * (`{"provider":"google_workspace","password":...}`), which is what resolves rows stored before
 * migration 0006 (`provider` null: the database cannot open the ciphertext): the first reveal or
 * store that touches such a row opens it and records the cloud that sealed it; a bare password (sealed
 * before the provider was recorded at all) belongs to whichever cloud touches it first, as before.
 * The ciphertext stays bound to its row (`user_initial_passwords.encrypted_password:<id>`), so secret
 * rotation re-seals it unchanged.
 */
import { randomInt } from 'node:crypto';
import type { ZodType } from 'zod';
import type { HeliosError } from '../../errors';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { openSecret, sealSecret } from '../../shared/secret-stores';
import { SHARED_ERRORS } from '../../shared/shared.errors';
import { parseInput } from '../../shared/validation';
import type { CallOptions } from '../policy/actor';
import { POLICY_ERRORS } from '../policy/policy.errors';

/** The clouds that store initial passwords, as their platform names. */
export type InitialPasswordProvider = 'google_workspace' | 'microsoft_365';

const TABLE = 'user_initial_passwords';
const COLUMN = 'encrypted_password';

/** A strong random password: `length` (default 20) characters with upper and lower case letters, digits and symbols. */
export function generateInitialPassword(length = 20): string {
  const sets = [
    'ABCDEFGHJKLMNPQRSTUVWXYZ',
    'abcdefghijkmnopqrstuvwxyz',
    '23456789',
    '!#$%&*+-=?@_',
  ];
  const all = sets.join('');
  const chars = sets.map((set) => set[randomInt(set.length)]!);
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

/** PRECONDITION_FAILED `SECRETS.NO_KEY`: initial passwords need the encryption key. */
export function initialPasswordsNeedKey(): HeliosError {
  return SHARED_ERRORS.SECRETS_NO_KEY({
    message: 'Initial passwords need an encryption key (HELIOS_ENCRYPTION_KEY).',
  });
}

/** What a sealed value holds: the provider that stored it and the password (a bare password for old rows). */
function envelope(provider: InitialPasswordProvider, password: string): string {
  return JSON.stringify({ provider, password });
}

function unwrap(plain: string): { provider: InitialPasswordProvider | null; password: string } {
  if (plain.startsWith('{')) {
    try {
      const parsed = JSON.parse(plain) as { provider?: unknown; password?: unknown };
      if (
        typeof parsed.password === 'string' &&
        (parsed.provider === 'google_workspace' || parsed.provider === 'microsoft_365')
      ) {
        return { provider: parsed.provider, password: parsed.password };
      }
    } catch {
      // A bare password that starts with a brace.
    }
  }
  return { provider: null, password: plain };
}

/**
 * Seals `password` for one reveal of `address` by `provider`, replacing any pending one that cloud
 * stored for the address (never the other cloud's), in the scope's transaction. Returns the row id.
 */
export async function storeInitialPassword(
  rt: Pick<ServiceRuntime, 'secretBox'>,
  s: OperationScope,
  provider: InitialPasswordProvider,
  address: string,
  password: string,
): Promise<string> {
  const box = rt.secretBox;
  if (!box) throw initialPasswordsNeedKey();
  await resolveLegacyRow(box, s, provider, address);
  // Insert to get the row id (the encryption context), then seal.
  const stored = await s.db
    .insertInto(TABLE)
    .values({
      organization_id: s.organizationId,
      user_email: address,
      provider,
      encrypted_password: 'pending',
      created_by: s.principal.userId,
    })
    .onConflict((oc) =>
      oc.columns(['organization_id', 'user_email', 'provider']).doUpdateSet({
        encrypted_password: 'pending',
        created_by: s.principal.userId,
        created_at: s.now,
        revealed_at: null,
        revealed_by: null,
        cleared_at: null,
        cleared_by: null,
      }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  await s.db
    .updateTable(TABLE)
    .set({
      encrypted_password: sealSecret(box, TABLE, COLUMN, stored.id, envelope(provider, password)),
    })
    .where('id', '=', stored.id)
    .execute();
  return stored.id;
}

type SecretBox = NonNullable<ServiceRuntime['secretBox']>;

/** Which cloud sealed a row: from its column, else (rows stored before 0006) from its sealed value; null for a bare password. */
function sealedBy(
  box: SecretBox,
  row: { id: string; provider: string | null; encrypted_password: string },
): InitialPasswordProvider | null {
  if (row.provider === 'google_workspace' || row.provider === 'microsoft_365') return row.provider;
  if (row.encrypted_password === 'pending') return null;
  return unwrap(openSecret(box, TABLE, COLUMN, row.id, row.encrypted_password)).provider;
}

/**
 * Before `provider` stores a password for `address`: a row stored before migration 0006 (no
 * provider) that `provider` sealed, or a bare one, is replaced (deleted: the new row takes its place,
 * as before 0006); one the other cloud sealed is recorded as that cloud's and kept.
 */
async function resolveLegacyRow(
  box: SecretBox,
  s: OperationScope,
  provider: InitialPasswordProvider,
  address: string,
): Promise<void> {
  const legacy = await s.db
    .selectFrom(TABLE)
    .select(['id', 'provider', 'encrypted_password'])
    .where('organization_id', '=', s.organizationId)
    .where('user_email', '=', address)
    .where('provider', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!legacy) return;
  const owner = sealedBy(box, legacy);
  if (owner === null || owner === provider) {
    await s.db.deleteFrom(TABLE).where('id', '=', legacy.id).execute();
    return;
  }
  const taken = await s.db
    .selectFrom(TABLE)
    .select('id')
    .where('organization_id', '=', s.organizationId)
    .where('user_email', '=', address)
    .where('provider', '=', owner)
    .executeTakeFirst();
  // The other cloud already has a newer row of its own: that one wins, the old one goes.
  if (taken) await s.db.deleteFrom(TABLE).where('id', '=', legacy.id).execute();
  else await s.db.updateTable(TABLE).set({ provider: owner }).where('id', '=', legacy.id).execute();
}

/** How one cloud reveals its initial passwords. */
export interface RevealInitialPasswordSpec {
  provider: InitialPasswordProvider;
  /** Parses the address (email or UPN) the caller gave. */
  addressSchema: ZodType<string, any>;
  /** The audit action and the details naming the address. */
  auditAction: string;
  auditDetails(address: string): Record<string, unknown>;
  /** The cloud's NOT_FOUND and CONFLICT errors. */
  notFound(address: string): HeliosError;
  revealed(address: string, revealedAt: Date): HeliosError;
}

/** A revealed initial password. */
export interface RevealedInitialPassword {
  address: string;
  password: string;
  createdAt: Date | null;
  revealedAt: Date;
}

/**
 * Returns (decrypted) the initial password the cloud stored for an address and marks it revealed;
 * works once. Administrators only (admins, `admin:full` keys, the system); audited.
 * A row another cloud stored is NOT_FOUND here and stays unrevealed.
 */
export function revealInitialPassword(
  rt: ServiceRuntime,
  spec: RevealInitialPasswordSpec,
  rawAddress: string,
  options: CallOptions | undefined,
): Promise<RevealedInitialPassword> {
  return rt.write(options, async (s) => {
    await s.authorize('users:write');
    if (!s.principal.isAdministrator)
      throw POLICY_ERRORS.FORBIDDEN({ permission: 'users:write', reason: 'administrators only' });
    const address = parseInput(spec.addressSchema, rawAddress);
    if (!rt.secretBox) throw initialPasswordsNeedKey();
    const box = rt.secretBox;
    // This cloud's row, and a row stored before migration 0006 (no provider) that may be this cloud's.
    const rows = await s.db
      .selectFrom(TABLE)
      .selectAll()
      .where('organization_id', '=', s.organizationId)
      .where('user_email', '=', address)
      .where((eb) => eb.or([eb('provider', '=', spec.provider), eb('provider', 'is', null)]))
      .forUpdate()
      .execute();
    const own = rows.find((r) => r.provider === spec.provider);
    const legacy = rows.find((r) => r.provider === null && r.cleared_at === null);
    const row = own && own.cleared_at === null ? own : legacy;
    if (!row || row.cleared_at !== null || row.encrypted_password === 'pending')
      throw spec.notFound(address);
    const opened = unwrap(openSecret(box, TABLE, COLUMN, row.id, row.encrypted_password));
    if (opened.provider !== null && opened.provider !== spec.provider) throw spec.notFound(address);
    // A row stored before 0006 that this cloud opened is this cloud's from now on (unless it has a row of its own).
    if (row.provider === null && !own)
      await s.db
        .updateTable(TABLE)
        .set({ provider: spec.provider })
        .where('id', '=', row.id)
        .execute();
    if (row.revealed_at) throw spec.revealed(address, row.revealed_at);
    await s.db
      .updateTable(TABLE)
      .set({ revealed_at: s.now, revealed_by: s.principal.userId })
      .where('id', '=', row.id)
      .execute();
    await s.audit({
      action: spec.auditAction,
      resource: TABLE,
      resourceId: row.id,
      details: spec.auditDetails(address),
    });
    return {
      address,
      password: opened.password,
      createdAt: row.created_at ?? null,
      revealedAt: s.now,
    };
  });
}
