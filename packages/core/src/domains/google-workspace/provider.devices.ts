/**
 * The mobile device calls of the Google Workspace provider (Directory API `mobiledevices`), acting
 * as the admin with the one scope `admin.directory.device.mobile.action`, which lists devices and
 * takes actions on them: a scope missing from the delegation fails these calls alone, naming it.
 */
import type { DirectoryConnection } from './provider.http';
import { GOOGLE_LIFECYCLE_SCOPES } from './provider.security';

/** A mobile device of the account (`admin#directory#mobiledevice`, BASIC projection). */
export interface GoogleMobileDevice {
  /** The id the API names the device by. */
  resourceId: string;
  deviceId?: string;
  /** The owner's addresses. */
  email?: string[];
  name?: string[];
  model?: string;
  os?: string;
  /** `ANDROID`, `IOS_SYNC`, `GOOGLE_SYNC`... */
  type?: string;
  /** `APPROVED`, `PENDING`, `BLOCKED`, `WIPING`, `WIPED`, `ACCOUNT_WIPING`, `ACCOUNT_WIPED`... */
  status?: string;
  [field: string]: unknown;
}

/** An action on a mobile device (`mobiledevices.action`). */
export type GoogleMobileDeviceAction =
  | 'admin_account_wipe'
  | 'admin_remote_wipe'
  | 'approve'
  | 'block'
  | 'cancel_remote_wipe_then_activate'
  | 'cancel_remote_wipe_then_block';

/** The mobile device calls of the provider. */
export interface GoogleDeviceCalls {
  /**
   * Every mobile device a Directory search finds (`mobiledevices.list?query=`, every page). Google's
   * `email:` search matches loosely (a prefix of the address): keep only the devices you mean.
   * @throws HeliosError `GOOGLE.DELEGATION_NOT_GRANTED` (naming the scope) and `GOOGLE.*`
   */
  listMobileDevices(query: string): Promise<GoogleMobileDevice[]>;
  /**
   * Takes an action on a device (`mobiledevices.action`); not retried on failures (a wipe is not
   * sent twice), only when throttled.
   * @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*`
   */
  mobileDeviceAction(resourceId: string, action: GoogleMobileDeviceAction): Promise<void>;
}

const enc = encodeURIComponent;

export function deviceCalls(google: DirectoryConnection): GoogleDeviceCalls {
  const { callAs } = google;
  const as = { scopes: [GOOGLE_LIFECYCLE_SCOPES.mobileDevices] };
  const base = `${google.rootUrl}admin/directory/v1/customer/${enc(google.customer)}/devices/mobile`;
  return {
    async listMobileDevices(query) {
      const out: GoogleMobileDevice[] = [];
      let pageToken: string | undefined;
      do {
        const data = await callAs<{ mobiledevices?: GoogleMobileDevice[]; nextPageToken?: string }>(
          'mobiledevices.list',
          true,
          as,
          {
            url: base,
            params: {
              query,
              maxResults: 100,
              projection: 'BASIC',
              ...(pageToken ? { pageToken } : {}),
            },
          },
        );
        out.push(...(data.mobiledevices ?? []));
        pageToken = data.nextPageToken;
      } while (pageToken);
      return out;
    },
    mobileDeviceAction: async (resourceId, action) => {
      await callAs('mobiledevices.action', false, as, {
        url: `${base}/${enc(resourceId)}/action`,
        method: 'POST',
        data: { action },
      });
    },
  };
}
