/**
 * Initial passwords of users created (or reset) through a write-back, shared by both clouds:
 * generated strong, stored encrypted in `user_initial_passwords`, revealed once to an administrator.
 *
 * The store is keyed by provider: the sealed value carries the provider that stored it
 * (`{"provider":"google_workspace","password":...}`), so a Google reveal never opens a password
 * Microsoft stored for the same address, nor the reverse (the row looks absent to the other cloud).
 * Rows sealed before the provider was recorded (a bare password) open for either cloud, as before.
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
  const sets = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#$%&*+-=?@_'];
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
  return SHARED_ERRORS.SECRETS_NO_KEY({ message: 'Initial passwords need an encryption key (HELIOS_ENCRYPTION_KEY).' });
}

/** What a sealed value holds: the provider that stored it and the password (a bare password for old rows). */
function envelope(provider: InitialPasswordProvider, password: string): string {
  return JSON.stringify({ provider, password });
}

function unwrap(plain: string): { provider: InitialPasswordProvider | null; password: string } {
  if (plain.startsWith('{')) {
    try {
      const parsed = JSON.parse(plain) as { provider?: unknown; password?: unknown };
      if (typeof parsed.password === 'string' && (parsed.provider === 'google_workspace' || parsed.provider === 'microsoft_365')) {
        return { provider: parsed.provider, password: parsed.password };
      }
    } catch {
      // A bare password that starts with a brace.
    }
  }
  return { provider: null, password: plain };
}

/**
 * Seals `password` for one reveal of `address` by `provider`, replacing any pending one for the
 * address, in the scope's transaction. Returns the row id.
 */
export async function storeInitialPassword(
  rt: Pick<ServiceRuntime, 'secretBox'>,
  s: OperationScope,
  provider: InitialPasswordProvider,
  address: string,
  password: string,
): Promise<string> {
  if (!rt.secretBox) throw initialPasswordsNeedKey();
  // Insert to get the row id (the encryption context), then seal.
  const stored = await s.db
    .insertInto(TABLE)
    .values({ organization_id: s.organizationId, user_email: address, encrypted_password: 'pending', created_by: s.principal.userId })
    .onConflict((oc) =>
      oc.columns(['organization_id', 'user_email']).doUpdateSet({
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
    .set({ encrypted_password: sealSecret(rt.secretBox, TABLE, COLUMN, stored.id, envelope(provider, password)) })
    .where('id', '=', stored.id)
    .execute();
  return stored.id;
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
    if (!s.principal.isAdministrator) throw POLICY_ERRORS.FORBIDDEN({ permission: 'users:write', reason: 'administrators only' });
    const address = parseInput(spec.addressSchema, rawAddress);
    if (!rt.secretBox) throw initialPasswordsNeedKey();
    const row = await s.db
      .selectFrom(TABLE)
      .selectAll()
      .where('organization_id', '=', s.organizationId)
      .where('user_email', '=', address)
      .where('cleared_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw spec.notFound(address);
    const opened = row.encrypted_password === 'pending' ? null : unwrap(openSecret(rt.secretBox, TABLE, COLUMN, row.id, row.encrypted_password));
    if (!opened || (opened.provider !== null && opened.provider !== spec.provider)) throw spec.notFound(address);
    if (row.revealed_at) throw spec.revealed(address, row.revealed_at);
    await s.db.updateTable(TABLE).set({ revealed_at: s.now, revealed_by: s.principal.userId }).where('id', '=', row.id).execute();
    await s.audit({ action: spec.auditAction, resource: TABLE, resourceId: row.id, details: spec.auditDetails(address) });
    return { address, password: opened.password, createdAt: row.created_at ?? null, revealedAt: s.now };
  });
}
