/**
 * The state of the Google Workspace APIs the simulator serves beyond the Directory: OAuth tokens and
 * app passwords (ASPs) granted by users, sign-outs, licence assignments and seats (Licensing), data
 * transfers, Drive files, shared drives and their permissions, Gmail settings (forwarding addresses,
 * auto-forwarding, vacation responder, send-as), calendars with their ACL and mobile devices. Per-user data is keyed
 * by the Google user id, so it follows renames.
 */
import { createHash } from 'node:crypto';
import { lower } from '../http-kit';
import type { Directory } from './directory';
import { notFound } from './errors';
import type { SimMobileDevice } from './mobile';
import { stamp } from './paging';

/** An OAuth token a user granted to an application (`admin#directory#token`). */
export interface SimToken {
  clientId: string;
  displayText: string;
  scopes: string[];
  anonymous: boolean;
  nativeApp: boolean;
}

/** An application-specific password (`admin#directory#asp`). */
export interface SimAsp {
  codeId: number;
  name: string;
  creationTime: string;
  lastTimeUsed: string;
}

/** A Drive file (My Drive or a shared drive). */
export interface SimDriveFile {
  id: string;
  name: string;
  mimeType: string;
  /** The owner's user id (null for a file in a shared drive: the drive owns it). */
  ownerId: string | null;
  /** The shared drive the file is in, if any. */
  driveId: string | null;
  trashed: boolean;
  /** The folder the file is in; unset: the root of its My Drive (or of its shared drive). */
  parents?: string[];
}

/** A Drive permission (`drive#permission`). */
export interface SimPermission {
  id: string;
  type: 'user' | 'group' | 'domain' | 'anyone';
  role: string;
  emailAddress?: string;
  domain?: string;
  displayName?: string;
}

/** Gmail settings of one mailbox. */
export interface SimGmailSettings {
  /** Forwarding addresses (lower case) and their `verificationStatus`. */
  forwardingAddresses: Map<string, 'accepted' | 'pending'>;
  autoForwarding: { enabled: boolean; emailAddress?: string; disposition?: string };
  vacation: Record<string, any>;
  /** Send-as aliases by address (lower case). */
  sendAs: Map<string, Record<string, any>>;
}

/** A calendar and its access control list (rules by id, e.g. `user:ann@acme.com`). */
export interface SimCalendar {
  id: string;
  summary: string;
  ownerId: string;
  acl: Map<string, { role: string; scope: { type: string; value?: string } }>;
}

/** A Data Transfer API transfer. */
export interface SimTransfer {
  id: string;
  oldOwnerUserId: string;
  newOwnerUserId: string;
  applicationDataTransfers: Array<{
    applicationId: string;
    applicationTransferParams?: Array<{ key: string; value: string[] }>;
    applicationTransferStatus: string;
  }>;
  overallTransferStatusCode: string;
  requestTime: string;
  /** `transfers.get` calls still answered `inProgress`. */
  pollsLeft: number;
}

/** The Drive and Docs application of the Data Transfer API. */
export const DRIVE_APPLICATION_ID = '55656082996';
/** The Calendar application of the Data Transfer API. */
export const CALENDAR_APPLICATION_ID = '435070579839';

const shortHash = (text: string, length = 20) =>
  BigInt(`0x${createHash('sha1').update(text).digest('hex').slice(0, 16)}`)
    .toString()
    .padStart(length, '0')
    .slice(0, length);

/** The extra Workspace state of one simulator. */
export class Workspace {
  readonly tokens = new Map<string, Map<string, SimToken>>();
  readonly asps = new Map<string, Map<number, SimAsp>>();
  /** Sign-outs per user id. */
  readonly signOuts = new Map<string, number>();
  /** Seats per SKU (`productId/skuId`): null = unlimited. */
  readonly seats = new Map<string, number | null>();
  /** Licence assignments: SKU (`productId/skuId`) to the user ids holding it. */
  readonly licenses = new Map<string, Set<string>>();
  readonly transfers = new Map<string, SimTransfer>();
  readonly files = new Map<string, SimDriveFile>();
  readonly drives = new Map<string, { id: string; name: string; createdTime: string }>();
  /** Permissions per file id or shared drive id. */
  readonly permissions = new Map<string, Map<string, SimPermission>>();
  readonly gmail = new Map<string, SimGmailSettings>();
  readonly calendars = new Map<string, SimCalendar>();
  /** Mobile devices by resource id. */
  readonly mobileDevices = new Map<string, SimMobileDevice>();
  private next = 1;

  constructor(
    readonly d: Directory,
    /** `transfers.get` calls that still answer `inProgress` for a new transfer. */
    readonly transferPolls = 0,
  ) {}

  /** A fresh identifier with a prefix. */
  newId(prefix: string): string {
    return `${prefix}${shortHash(`${prefix}:${this.next++}`, 16)}`;
  }

  /** The id and email of a user (by id, primary email or alias); 404 when unknown. */
  user(key: string): { id: string; email: string } {
    const { id, user } = this.d.userOf(key);
    return { id, email: lower(user.primaryEmail) };
  }

  /** The user id of an address of the customer, if any. */
  userIdOf(email: string): string | undefined {
    const id = this.d.findUserId(email);
    return id !== undefined && this.d.users.peek(id) ? id : undefined;
  }

  emailOf(userId: string): string {
    return lower(this.d.users.peek(userId)?.primaryEmail ?? userId);
  }

  /** Whether an address is on one of the customer's domains. */
  inCustomer(email: string): boolean {
    return this.d.domains.has(this.d.domainOf(email));
  }

  /** The stable permission id of an address (Google's are per-identity, not per-file). */
  permissionIdOf(email: string): string {
    return this.userIdOf(email)
      ? `0${shortHash(`perm:${this.userIdOf(email)}`)}`
      : shortHash(`perm:${lower(email)}`);
  }

  tokensOf(userId: string): Map<string, SimToken> {
    let m = this.tokens.get(userId);
    if (!m) this.tokens.set(userId, (m = new Map()));
    return m;
  }

  aspsOf(userId: string): Map<number, SimAsp> {
    let m = this.asps.get(userId);
    if (!m) this.asps.set(userId, (m = new Map()));
    return m;
  }

  permissionsOf(fileId: string): Map<string, SimPermission> {
    let m = this.permissions.get(fileId);
    if (!m) this.permissions.set(fileId, (m = new Map()));
    return m;
  }

  /** A mailbox's Gmail settings, created with its primary send-as on first use. */
  gmailOf(userId: string): SimGmailSettings {
    let g = this.gmail.get(userId);
    if (!g) {
      const email = this.emailOf(userId);
      const name = this.d.users.peek(userId)?.name?.fullName ?? '';
      g = {
        forwardingAddresses: new Map(),
        autoForwarding: { enabled: false },
        vacation: { enableAutoReply: false },
        sendAs: new Map([
          [
            email,
            {
              sendAsEmail: email,
              displayName: name,
              replyToAddress: '',
              signature: '',
              isPrimary: true,
              isDefault: true,
              treatAsAlias: false,
            },
          ],
        ]),
      };
      this.gmail.set(userId, g);
    }
    return g;
  }

  /** A calendar by id (`primary` is the subject's); a user's primary calendar exists implicitly. */
  calendarOf(calendarId: string, subjectId: string): SimCalendar {
    const id = calendarId === 'primary' ? this.emailOf(subjectId) : lower(calendarId);
    let cal = this.calendars.get(id);
    if (!cal) {
      const ownerId = this.userIdOf(id);
      if (!ownerId) throw notFound('calendarId');
      cal = { id, summary: id, ownerId, acl: new Map() };
      cal.acl.set(`user:${id}`, { role: 'owner', scope: { type: 'user', value: id } });
      this.calendars.set(id, cal);
    }
    return cal;
  }

  /** The etag of a derived resource. */
  etag<T extends Record<string, any>>(resource: T): T {
    return stamp(resource);
  }
}
