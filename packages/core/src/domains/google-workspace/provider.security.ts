/**
 * The account-security, licence and data-transfer calls of the Google Workspace provider, acting as
 * the admin: Directory `tokens`, `asps`, `signOut` and `groups.list?userKey`, the Licensing API and
 * the Data Transfer API (REST through the service account's client, see `callAs`). Each asks only
 * for its own scope, so a scope missing from the delegation fails that call alone and names it.
 */
import { isHeliosError } from '../../errors';
import { GOOGLE_ERROR_CODES } from './errors';
import type { GoogleGroup, GoogleWorkspaceOptions } from './provider';
import type { DirectoryConnection } from './provider.http';

const AUTH = 'https://www.googleapis.com/auth/';
/** The OAuth scope of each Google API the lifecycle operations call (grant them in domain-wide delegation). */
export const GOOGLE_LIFECYCLE_SCOPES = {
  userSecurity: `${AUTH}admin.directory.user.security`,
  licensing: `${AUTH}apps.licensing`,
  dataTransfer: `${AUTH}admin.datatransfer`,
  drive: `${AUTH}drive`,
  gmailSharing: `${AUTH}gmail.settings.sharing`,
  gmailBasic: `${AUTH}gmail.settings.basic`,
  calendar: `${AUTH}calendar`,
  mobileDevices: `${AUTH}admin.directory.device.mobile.action`,
} as const;

/** The roots of the Google APIs besides the Directory's (each with a trailing slash). */
export interface GoogleApiRoots {
  /** Default https://licensing.googleapis.com/ */
  licensing?: string;
  /** Default https://admin.googleapis.com/ */
  dataTransfer?: string;
  /** Default https://www.googleapis.com/ */
  drive?: string;
  /** Default https://gmail.googleapis.com/ */
  gmail?: string;
  /** Default https://www.googleapis.com/ */
  calendar?: string;
}

const GOOGLE_ROOTS: Required<GoogleApiRoots> = {
  licensing: 'https://licensing.googleapis.com/',
  dataTransfer: 'https://admin.googleapis.com/',
  drive: 'https://www.googleapis.com/',
  gmail: 'https://gmail.googleapis.com/',
  calendar: 'https://www.googleapis.com/',
};

/**
 * The API roots: `apiRoots` as given, else the `rootUrl` when one is set (a simulator serves every
 * API on one root), else Google's.
 */
export function resolveApiRoots(options: GoogleWorkspaceOptions): Required<GoogleApiRoots> {
  const slash = (u: string) => (u.endsWith('/') ? u : `${u}/`);
  const out = { ...GOOGLE_ROOTS };
  for (const name of Object.keys(out) as Array<keyof GoogleApiRoots>) {
    const given = options.apiRoots?.[name] ?? options.rootUrl;
    if (given) out[name] = slash(given);
  }
  return out;
}

/** An OAuth token a user granted to an application. */
export interface GoogleToken {
  clientId: string;
  displayText?: string;
  scopes?: string[];
  [field: string]: unknown;
}

/** An application-specific password. */
export interface GoogleAppPassword {
  codeId: number;
  name?: string;
  [field: string]: unknown;
}

/** A licence assignment (Licensing API). */
export interface GoogleLicenseAssignment {
  userId: string;
  productId: string;
  skuId: string;
  [field: string]: unknown;
}

/** A Data Transfer API transfer. */
export interface GoogleDataTransfer {
  id: string;
  oldOwnerUserId: string;
  newOwnerUserId: string;
  overallTransferStatusCode: string;
  applicationDataTransfers: Array<{ applicationId: string; applicationTransferStatus?: string }>;
  [field: string]: unknown;
}

/** The security, licence and transfer calls of the provider. */
export interface GoogleSecurityCalls {
  /** Every group the user is a direct member of (`groups.list?userKey`). @throws HeliosError `GOOGLE.*` */
  listUserGroups(userKey: string): Promise<GoogleGroup[]>;
  /** The user's OAuth tokens (`tokens.list`). @throws HeliosError `GOOGLE.*` */
  listTokens(userKey: string): Promise<GoogleToken[]>;
  /** Revokes one token (`tokens.delete`). @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*` */
  deleteToken(userKey: string, clientId: string): Promise<void>;
  /** The user's app passwords (`asps.list`). @throws HeliosError `GOOGLE.*` */
  listAppPasswords(userKey: string): Promise<GoogleAppPassword[]>;
  /** Revokes one app password (`asps.delete`). @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*` */
  deleteAppPassword(userKey: string, codeId: number): Promise<void>;
  /** Signs the user out of every web and device session (`users.signOut`). @throws HeliosError `GOOGLE.*` */
  signOutUser(userKey: string): Promise<void>;
  /** The user's assignment of a SKU (`productId/skuId`), or null. @throws HeliosError `GOOGLE.*` */
  getLicense(userKey: string, sku: string): Promise<GoogleLicenseAssignment | null>;
  /** Assigns a SKU (`licenseAssignments.insert`). @throws HeliosError `GOOGLE.CONFLICT` (no free seat, already held) and `GOOGLE.*` */
  insertLicense(userKey: string, sku: string): Promise<GoogleLicenseAssignment>;
  /** Removes a SKU (`licenseAssignments.delete`). @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*` */
  deleteLicense(userKey: string, sku: string): Promise<void>;
  /** The Data Transfer applications (`applications.list`). @throws HeliosError `GOOGLE.*` */
  listTransferApplications(): Promise<Array<{ id: string; name: string }>>;
  /** Starts a data transfer (`transfers.insert`). @throws HeliosError `GOOGLE.*` */
  insertDataTransfer(input: {
    oldOwnerUserId: string;
    newOwnerUserId: string;
    applications: Array<{
      applicationId: string;
      applicationTransferParams?: Array<{ key: string; value: string[] }>;
    }>;
  }): Promise<GoogleDataTransfer>;
  /** The transfers from one user to another (`transfers.list`). @throws HeliosError `GOOGLE.*` */
  listDataTransfers(oldOwnerUserId: string, newOwnerUserId: string): Promise<GoogleDataTransfer[]>;
  /** Reads a data transfer (`transfers.get`). @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*` */
  getDataTransfer(transferId: string): Promise<GoogleDataTransfer>;
}

/**
 * The Google Workspace SKUs `listUserLicenses` checks by default (Business Starter, Standard, Plus,
 * Enterprise Standard, Enterprise Plus), as `productId/skuId`.
 */
export const DEFAULT_GOOGLE_LICENSE_SKUS: readonly string[] = [
  'Google-Apps/1010020027',
  'Google-Apps/1010020028',
  'Google-Apps/1010020025',
  'Google-Apps/1010020026',
  'Google-Apps/1010020020',
];

const enc = encodeURIComponent;

/** Splits `productId/skuId`. */
export function splitSku(sku: string): { productId: string; skuId: string } {
  const cut = sku.lastIndexOf('/');
  return { productId: sku.slice(0, cut), skuId: sku.slice(cut + 1) };
}

/** Null for a NOT_FOUND answer. */
export async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (error) {
    if (isHeliosError(error) && error.code === GOOGLE_ERROR_CODES.NOT_FOUND) return null;
    throw error;
  }
}

export function securityCalls(
  google: DirectoryConnection,
  roots: Required<GoogleApiRoots>,
): GoogleSecurityCalls {
  const { callAs, call, directory } = google;
  const dir = `${google.rootUrl}admin/directory/v1/users/`;
  const security = { scopes: [GOOGLE_LIFECYCLE_SCOPES.userSecurity] };
  const licensing = { scopes: [GOOGLE_LIFECYCLE_SCOPES.licensing] };
  const transfer = { scopes: [GOOGLE_LIFECYCLE_SCOPES.dataTransfer] };
  const licenseUrl = (sku: string, userKey?: string) => {
    const { productId, skuId } = splitSku(sku);
    return `${roots.licensing}apps/licensing/v1/product/${enc(productId)}/sku/${enc(skuId)}/user${userKey ? `/${enc(userKey)}` : ''}`;
  };
  const transfers = `${roots.dataTransfer}admin/datatransfer/v1/`;
  return {
    async listUserGroups(userKey) {
      const groups: GoogleGroup[] = [];
      let pageToken: string | undefined;
      do {
        const data = await call('groups.list', true, async () => {
          const res = await directory.groups.list({
            userKey,
            maxResults: 200,
            ...(pageToken ? { pageToken } : {}),
          });
          return res.data;
        });
        groups.push(...((data.groups ?? []) as GoogleGroup[]));
        pageToken = data.nextPageToken ?? undefined;
      } while (pageToken);
      return groups;
    },
    listTokens: async (userKey) =>
      (
        await callAs<{ items?: GoogleToken[] }>('tokens.list', true, security, {
          url: `${dir}${enc(userKey)}/tokens`,
        })
      ).items ?? [],
    deleteToken: async (userKey, clientId) => {
      await callAs('tokens.delete', true, security, {
        url: `${dir}${enc(userKey)}/tokens/${enc(clientId)}`,
        method: 'DELETE',
      });
    },
    listAppPasswords: async (userKey) =>
      (
        await callAs<{ items?: GoogleAppPassword[] }>('asps.list', true, security, {
          url: `${dir}${enc(userKey)}/asps`,
        })
      ).items ?? [],
    deleteAppPassword: async (userKey, codeId) => {
      await callAs('asps.delete', true, security, {
        url: `${dir}${enc(userKey)}/asps/${codeId}`,
        method: 'DELETE',
      });
    },
    signOutUser: async (userKey) => {
      await callAs('users.signOut', true, security, {
        url: `${dir}${enc(userKey)}/signOut`,
        method: 'POST',
      });
    },
    getLicense: (userKey, sku) =>
      orNull(
        callAs<GoogleLicenseAssignment>('licenses.get', true, licensing, {
          url: licenseUrl(sku, userKey),
        }),
      ),
    // Retried on failures: a repeated insert answers 409 (already held), which callers accept.
    insertLicense: (userKey, sku) =>
      callAs<GoogleLicenseAssignment>('licenses.insert', true, licensing, {
        url: licenseUrl(sku),
        method: 'POST',
        data: { userId: userKey },
      }),
    deleteLicense: async (userKey, sku) => {
      await callAs('licenses.delete', true, licensing, {
        url: licenseUrl(sku, userKey),
        method: 'DELETE',
      });
    },
    listTransferApplications: async () =>
      (
        await callAs<{ applications?: Array<{ id: string; name: string }> }>(
          'datatransfer.applications.list',
          true,
          transfer,
          { url: `${transfers}applications` },
        )
      ).applications ?? [],
    insertDataTransfer: ({ oldOwnerUserId, newOwnerUserId, applications }) =>
      callAs<GoogleDataTransfer>('datatransfer.transfers.insert', false, transfer, {
        url: `${transfers}transfers`,
        method: 'POST',
        data: {
          oldOwnerUserId,
          newOwnerUserId,
          applicationDataTransfers: applications,
        },
      }),
    listDataTransfers: async (oldOwnerUserId, newOwnerUserId) =>
      (
        await callAs<{ dataTransfers?: GoogleDataTransfer[] }>(
          'datatransfer.transfers.list',
          true,
          transfer,
          { url: `${transfers}transfers`, params: { oldOwnerUserId, newOwnerUserId } },
        )
      ).dataTransfers ?? [],
    getDataTransfer: (transferId) =>
      callAs<GoogleDataTransfer>('datatransfer.transfers.get', true, transfer, {
        url: `${transfers}transfers/${enc(transferId)}`,
      }),
  };
}
