/**
 * Google Workspace lifecycle write-back, part 1: a user's groups, org unit moves, licences
 * (Licensing API), OAuth tokens and app passwords, sign-out, password reset and data transfers.
 * Every operation is idempotent: it reads Google's state first and writes only what differs, and
 * reports `changed`. Authorized (`users:write`; reads `users:read`), audited when something
 * changed, and Google is called outside any transaction (`rt.external`).
 */
import { isHeliosError } from '../../errors';
import type { OperationScope } from '../../runtime';
import { parseInput } from '../../shared/validation';
import type {
  CloudChange,
  CloudGroupRef,
  DataTransfer,
  DataTransferApplication,
  LicenseAvailability,
} from '../integrations/contract';
import {
  generateInitialPassword,
  initialPasswordsNeedKey,
  storeInitialPassword,
} from '../integrations/initial-passwords';
import { runWriteback } from '../integrations/writeback';
import type { CallOptions } from '../policy/actor';
import { GOOGLE_ERROR_CODES, GOOGLE_ERRORS } from './errors';
import type { GoogleWorkspaceProvider } from './provider';
import type { GoogleDataTransfer } from './provider.security';
import type { GoogleWritebackContext } from './writeback.context';
import {
  googleIdSchema,
  googleOrgUnitPathSchema,
  googleResourceIdSchema,
  googleSkusSchema,
  googleTransferApplicationsSchema,
} from './writeback.schema';
import type { GoogleWritebackService } from './writeback.service';

/** Ignores Google's NOT_FOUND / CONFLICT answer of a removal / addition already done. */
export async function already(p: Promise<unknown>, code: string) {
  try {
    await p;
    return true;
  } catch (error) {
    if (isHeliosError(error) && error.code === code) return false;
    throw error;
  }
}

/** The primary email of a Google user: the local mirror's, else Google's. */
export async function emailOf(s: OperationScope, googleId: string): Promise<string | null> {
  const row = await s.db
    .selectFrom('gw_synced_users')
    .select('email')
    .where('organization_id', '=', s.organizationId)
    .where('google_id', '=', googleId)
    .executeTakeFirst();
  return row?.email ?? null;
}

/** A user's id and email, resolving the email from Google when not mirrored. */
export async function resolveUser(
  google: GoogleWorkspaceProvider,
  user: { id: string; email: string | null },
): Promise<{ id: string; email: string }> {
  return user.email
    ? (user as { id: string; email: string })
    : {
        id: user.id,
        email: (await google.getUser(user.id)).primaryEmail.toLowerCase(),
      };
}

/**
 * Whether Google refused to let the service account act as a user (a token request for them
 * answered invalid_grant): the account is suspended (or gone), so it cannot be impersonated.
 */
export const refusedAsUser = (error: unknown) =>
  isHeliosError(error) && error.code === GOOGLE_ERROR_CODES.ADMIN_NOT_FOUND;

/**
 * The first call of an operation that acts as `mailbox` (Gmail settings, Calendar): Google's
 * refusal to act as the account (the token endpoint's invalid_grant, which otherwise reads as a
 * wrong admin setting) becomes `GOOGLE.INVALID_REQUEST` saying that the account is suspended.
 */
export async function actingAs<T>(
  mailbox: string,
  what: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!refusedAsUser(error)) throw error;
    throw GOOGLE_ERRORS.INVALID_REQUEST({
      message: `${what} acting as ${mailbox}, and Google refuses to act as ${mailbox}: the account is suspended (or gone). Unsuspend it, retry, then suspend it again.`,
    });
  }
}

/** Audits a change (no row when nothing changed). */
export async function auditChange(
  s: OperationScope,
  action: string,
  googleId: string,
  change: CloudChange,
  extra: Record<string, unknown> = {},
): Promise<CloudChange> {
  if (change.changed)
    await s.audit({
      action,
      resource: 'gw_synced_users',
      resourceId: null,
      details: { googleId, items: change.items ?? [], ...extra },
    });
  return change;
}

const APP_NAMES: Record<DataTransferApplication, string> = {
  drive: 'Drive and Docs',
  calendar: 'Calendar',
};

/** The fixed ids of the Data Transfer applications. */
const KNOWN_APPS = new Map<string, DataTransferApplication>([
  ['55656082996', 'drive'],
  ['435070579839', 'calendar'],
]);

/** A Google transfer in the contract's terms. */
function transferOf(
  t: GoogleDataTransfer,
  names: Map<string, DataTransferApplication>,
): DataTransfer {
  return {
    id: t.id,
    status: t.overallTransferStatusCode,
    applications: (t.applicationDataTransfers ?? [])
      .map((a) => names.get(String(a.applicationId)))
      .filter((a): a is DataTransferApplication => a !== undefined),
  };
}

/** The Data Transfer application ids by our names, and back. */
async function transferApplications(google: GoogleWorkspaceProvider) {
  const apps = await google.listTransferApplications();
  const byName = new Map<DataTransferApplication, string>();
  const names = new Map<string, DataTransferApplication>();
  for (const [ours, theirs] of Object.entries(APP_NAMES) as Array<
    [DataTransferApplication, string]
  >) {
    const app = apps.find((a) => a.name === theirs);
    if (app) {
      byName.set(ours, String(app.id));
      names.set(String(app.id), ours);
    }
  }
  return { byName, names };
}

type Part1 = Pick<
  GoogleWritebackService,
  | 'listUserGroups'
  | 'moveToOrgUnit'
  | 'listUserLicenses'
  | 'licenseAvailability'
  | 'assignLicense'
  | 'removeLicense'
  | 'revokeTokens'
  | 'revokeAppPasswords'
  | 'signOut'
  | 'resetPassword'
  | 'transferData'
  | 'getDataTransfer'
>;

/** The lifecycle operations of part 1. */
export function googleLifecycleOperations(ctx: GoogleWritebackContext): Part1 {
  const { rt } = ctx;
  const userStep = (googleId: string) => async (s: OperationScope) => {
    const id = ctx.parseUserId(googleId);
    return { id, email: await emailOf(s, id) };
  };
  /** Assigns or removes SKUs, each only when needed. */
  const licenses =
    (assign: boolean) => (googleId: string, skuIds: string[], options?: CallOptions) =>
      runWriteback(
        rt,
        `googleWriteback.${assign ? 'assignLicense' : 'removeLicense'}`,
        'users:write',
        options,
        {
          async prepare(s) {
            return { ...(await userStep(googleId)(s)), skus: parseInput(googleSkusSchema, skuIds) };
          },
          async call({ id, email, skus }) {
            const google = await ctx.provider();
            const user = await resolveUser(google, { id, email });
            const items: string[] = [];
            for (const sku of [...new Set(skus)]) {
              const held = (await google.getLicense(user.email, sku)) !== null;
              if (held === assign) continue;
              const did = assign
                ? await already(google.insertLicense(user.email, sku), GOOGLE_ERROR_CODES.CONFLICT)
                : await already(
                    google.deleteLicense(user.email, sku),
                    GOOGLE_ERROR_CODES.NOT_FOUND,
                  );
              if (did) items.push(sku);
            }
            return { changed: items.length > 0, items, skuIds: skus };
          },
          record: async (s, change, { id }) => {
            await auditChange(
              s,
              `google_workspace.license_${assign ? 'assign' : 'remove'}`,
              id,
              change,
            );
            return change;
          },
        },
      );

  return {
    listUserGroups: (googleId, options) =>
      runWriteback(rt, 'googleWriteback.listUserGroups', 'users:read', options, {
        prepare: () => ctx.parseUserId(googleId),
        call: async (id) => (await ctx.provider()).listUserGroups(id),
        record: async (_s, groups): Promise<CloudGroupRef[]> =>
          groups.map((g) => ({ id: g.id, email: g.email ?? null, name: g.name ?? null })),
      }),

    moveToOrgUnit: (googleId, orgUnitPath, options) =>
      runWriteback(rt, 'googleWriteback.moveToOrgUnit', 'users:write', options, {
        prepare: () => ({
          id: parseInput(googleIdSchema, googleId),
          path: parseInput(googleOrgUnitPathSchema, orgUnitPath),
        }),
        async call({ id, path }) {
          const google = await ctx.provider();
          const current = await google.getUser(id);
          if ((current.orgUnitPath ?? '/').toLowerCase() === path.toLowerCase()) return null;
          return google.moveUserToOrgUnit(id, path);
        },
        async record(s, moved, { path }): Promise<CloudChange> {
          if (!moved) return { changed: false };
          await ctx.recordUserChange(s, 'google_workspace.user_move', moved, { orgUnitPath: path });
          return { changed: true, items: [path] };
        },
      }),

    listUserLicenses: (googleId, options) =>
      runWriteback(rt, 'googleWriteback.listUserLicenses', 'users:read', options, {
        prepare: userStep(googleId),
        async call(user) {
          const google = await ctx.provider();
          const { email } = await resolveUser(google, user);
          const held: string[] = [];
          for (const sku of google.licenseSkus) {
            try {
              if (await google.getLicense(email, sku)) held.push(sku);
            } catch (error) {
              // A SKU the customer has no subscription to ("Invalid productId/skuId", 400) is one
              // the user cannot hold: the listing goes on. Anything else fails the listing.
              if (!isHeliosError(error) || error.code !== GOOGLE_ERROR_CODES.INVALID_REQUEST)
                throw error;
            }
          }
          return held;
        },
        record: async (_s, held) => held,
      }),

    // The Licensing API does not tell seats (only the Reseller API does): Google refuses an assignment
    // over the limit (GOOGLE.NO_FREE_SEATS), so the availability is reported as unknown.
    licenseAvailability: (skuIds, options) =>
      runWriteback(rt, 'googleWriteback.licenseAvailability', 'users:read', options, {
        prepare: () => parseInput(googleSkusSchema, skuIds),
        call: async (skus) => skus,
        record: async (_s, skus): Promise<LicenseAvailability[]> =>
          skus.map((skuId) => ({ skuId, available: null })),
      }),

    assignLicense: licenses(true),
    removeLicense: licenses(false),

    revokeTokens: (googleId, options) =>
      runWriteback(rt, 'googleWriteback.revokeTokens', 'users:write', options, {
        prepare: () => ctx.parseUserId(googleId),
        async call(id) {
          const google = await ctx.provider();
          const items: string[] = [];
          for (const token of await google.listTokens(id))
            if (await already(google.deleteToken(id, token.clientId), GOOGLE_ERROR_CODES.NOT_FOUND))
              items.push(token.clientId);
          return { changed: items.length > 0, items };
        },
        record: (s, change, id) => auditChange(s, 'google_workspace.tokens_revoke', id, change),
      }),

    revokeAppPasswords: (googleId, options) =>
      runWriteback(rt, 'googleWriteback.revokeAppPasswords', 'users:write', options, {
        prepare: () => ctx.parseUserId(googleId),
        async call(id) {
          const google = await ctx.provider();
          const items: string[] = [];
          for (const asp of await google.listAppPasswords(id))
            if (
              await already(google.deleteAppPassword(id, asp.codeId), GOOGLE_ERROR_CODES.NOT_FOUND)
            )
              items.push(String(asp.codeId));
          return { changed: items.length > 0, items };
        },
        record: (s, change, id) =>
          auditChange(s, 'google_workspace.app_passwords_revoke', id, change),
      }),

    signOut: (googleId, options) =>
      runWriteback(rt, 'googleWriteback.signOut', 'users:write', options, {
        prepare: userStep(googleId),
        call: async ({ id }) => (await ctx.provider()).signOutUser(id),
        async record(s, _none, { id, email }) {
          await auditChange(s, 'google_workspace.user_sign_out', id, { changed: true });
          return { googleId: id, email, signedOutAt: s.now };
        },
      }),

    resetPassword: (googleId, options) =>
      runWriteback(rt, 'googleWriteback.resetPassword', 'users:write', options, {
        prepare() {
          if (!rt.secretBox) throw initialPasswordsNeedKey();
          return { id: ctx.parseUserId(googleId), password: generateInitialPassword() };
        },
        call: async ({ id, password }) =>
          (await ctx.provider()).updateUser(id, { password, changePasswordAtNextLogin: true }),
        async record(s, updated, { password }) {
          const email = updated.primaryEmail.toLowerCase();
          await storeInitialPassword(rt, s, 'google_workspace', email, password);
          await ctx.recordUserChange(s, 'google_workspace.password_reset', updated);
          return {
            googleId: updated.id,
            email,
            changePasswordAtNextLogin: true as const,
            storedAt: s.now,
          };
        },
      }),

    transferData: (fromId, toId, applications, options) =>
      runWriteback(rt, 'googleWriteback.transferData', 'users:write', options, {
        prepare: () => ({
          from: parseInput(googleIdSchema, fromId),
          to: parseInput(googleIdSchema, toId),
          apps: [...new Set(parseInput(googleTransferApplicationsSchema, applications))],
        }),
        async call({ from, to, apps }) {
          const google = await ctx.provider();
          const { byName, names } = await transferApplications(google);
          const ids = apps.map((a) => byName.get(a) ?? APP_NAMES[a]);
          // A transfer of the same applications between the same users that did not fail is
          // this one again (a retried step): it is reported, not started twice.
          const existing = (await google.listDataTransfers(from, to)).find(
            (t) =>
              t.overallTransferStatusCode !== 'failed' &&
              ids.every((id) => t.applicationDataTransfers?.some((a) => a.applicationId === id)),
          );
          if (existing) return { transfer: transferOf(existing, names), created: false };
          const created = await google.insertDataTransfer({
            oldOwnerUserId: from,
            newOwnerUserId: to,
            applications: ids.map((applicationId) =>
              names.get(applicationId) === 'drive'
                ? {
                    applicationId,
                    applicationTransferParams: [
                      { key: 'PRIVACY_LEVEL', value: ['PRIVATE', 'SHARED'] },
                    ],
                  }
                : { applicationId },
            ),
          });
          return { transfer: transferOf(created, names), created: true };
        },
        async record(s, { transfer, created }, { from, to }) {
          await auditChange(
            s,
            'google_workspace.data_transfer_start',
            from,
            {
              changed: created,
              items: [transfer.id],
            },
            { toGoogleId: to, applications: transfer.applications },
          );
          return transfer;
        },
      }),

    getDataTransfer: (transferId, options) =>
      runWriteback(rt, 'googleWriteback.getDataTransfer', 'users:read', options, {
        prepare: () => parseInput(googleResourceIdSchema, transferId),
        // Google's application ids are fixed: no applications.list to read a transfer.
        call: async (id) =>
          transferOf(await (await ctx.provider()).getDataTransfer(id), KNOWN_APPS),
        record: async (_s, transfer) => transfer,
      }),
  };
}
