/**
 * The test-facing side of the Workspace state (`sim.workspace`): seed helpers (tokens, app
 * passwords, Drive files, shared drives, calendars, licence seats and assignments, mobile devices)
 * and readers of
 * the state the tests assert on.
 */
import { lower } from '../http-kit';
import { calendarEventsKit } from './calendar-events';
import { parentsOf } from './drive.files';
import type { GoogleWorkspaceSimKit } from './types';
import type { Workspace } from './workspace';

export function workspaceKit(w: Workspace): GoogleWorkspaceSimKit {
  const now = () => String(Date.now());
  return {
    ...calendarEventsKit(w),
    addToken(userKey, token) {
      const { id } = w.user(userKey);
      w.tokensOf(id).set(token.clientId, {
        clientId: token.clientId,
        displayText: token.displayText ?? token.clientId,
        scopes: token.scopes ?? ['https://www.googleapis.com/auth/userinfo.email'],
        anonymous: false,
        nativeApp: token.nativeApp ?? false,
      });
    },
    addAppPassword(userKey, name = 'Mail client') {
      const { id } = w.user(userKey);
      const asps = w.aspsOf(id);
      const codeId = 1000 + w.asps.size * 100 + asps.size;
      asps.set(codeId, { codeId, name, creationTime: now(), lastTimeUsed: '0' });
      return codeId;
    },
    addDriveFile(ownerKey, name, options = {}) {
      const { id: ownerId, email } = w.user(ownerKey);
      const id = w.newId('1f');
      w.files.set(id, {
        id,
        name,
        mimeType: options.mimeType ?? 'application/vnd.google-apps.document',
        ownerId,
        driveId: null,
        trashed: options.trashed ?? false,
        ...(options.parentId ? { parents: [options.parentId] } : {}),
      });
      const pid = w.permissionIdOf(email);
      w.permissionsOf(id).set(pid, { id: pid, type: 'user', role: 'owner', emailAddress: email });
      return id;
    },
    addSharedDrive(name, members = []) {
      const id = w.newId('0A');
      w.drives.set(id, { id, name, createdTime: new Date().toISOString() });
      for (const m of members) {
        const email = lower(m.email);
        const pid = w.permissionIdOf(email);
        w.permissionsOf(id).set(pid, { id: pid, type: 'user', role: m.role, emailAddress: email });
      }
      return id;
    },
    addCalendar(ownerKey, summary) {
      const { id: ownerId, email } = w.user(ownerKey);
      const id = `${w.newId('c')}@group.calendar.google.com`;
      w.calendars.set(id, {
        id,
        summary,
        ownerId,
        acl: new Map([[`user:${email}`, { role: 'owner', scope: { type: 'user', value: email } }]]),
      });
      return id;
    },
    setLicenseSeats: (sku, seats) => void w.seats.set(sku, seats),
    assignLicense(userKey, sku) {
      const { id } = w.user(userKey);
      if (!w.seats.has(sku)) w.seats.set(sku, null);
      let set = w.licenses.get(sku);
      if (!set) w.licenses.set(sku, (set = new Set()));
      set.add(id);
    },
    tokens: (userKey) => [...w.tokensOf(w.user(userKey).id).keys()],
    appPasswords: (userKey) => [...w.aspsOf(w.user(userKey).id).keys()],
    signOuts: (userKey) => w.signOuts.get(w.user(userKey).id) ?? 0,
    licenses(userKey) {
      const { id } = w.user(userKey);
      return [...w.licenses].filter(([, set]) => set.has(id)).map(([sku]) => sku);
    },
    licenseHolders: (sku) => [...(w.licenses.get(sku) ?? [])].map((id) => w.emailOf(id)),
    driveFilesOwnedBy(userKey) {
      const { id } = w.user(userKey);
      return [...w.files.values()].filter((f) => f.ownerId === id).map((f) => f.id);
    },
    sharedDriveMembers: (driveId) =>
      [...w.permissionsOf(driveId).values()].map((p) => ({
        email: p.emailAddress ?? '',
        role: p.role,
      })),
    driveItems: (parentId) =>
      [...w.files.values()]
        .filter((f) => parentsOf(w, f).includes(parentId))
        .map((f) => ({
          id: f.id,
          name: f.name,
          mimeType: f.mimeType,
          owner: f.ownerId ? w.emailOf(f.ownerId) : null,
        }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    driveFileExists: (fileId) => w.files.has(fileId),
    gmail(userKey) {
      const g = w.gmailOf(w.user(userKey).id);
      return {
        forwardingAddresses: Object.fromEntries(g.forwardingAddresses),
        autoForwarding: { ...g.autoForwarding },
        vacation: { ...g.vacation },
        sendAs: [...g.sendAs.values()].map((a) => ({ ...a })),
      };
    },
    calendarAcl(calendarId) {
      const cal = w.calendars.get(lower(calendarId)) ?? w.calendarOf(calendarId, '');
      return [...cal.acl].map(([id, rule]) => ({ id, role: rule.role }));
    },
    transfers: () => [...w.transfers.values()].map(({ pollsLeft: _p, ...t }) => structuredClone(t)),
    addMobileDevice(userKey, device = {}) {
      const { id: ownerId } = w.user(userKey);
      const resourceId = `AFiQxQ${w.newId('8')}`;
      const type = device.type ?? 'ANDROID';
      const at = new Date().toISOString();
      w.mobileDevices.set(resourceId, {
        resourceId,
        deviceId: w.newId('d'),
        ownerId,
        model: device.model ?? (type === 'ANDROID' ? 'Pixel 8' : 'iPhone15,2'),
        os: device.os ?? (type === 'ANDROID' ? 'Android 14' : 'iOS 17.4'),
        type,
        status: device.status ?? 'APPROVED',
        firstSync: at,
        lastSync: at,
        actions: [],
      });
      return resourceId;
    },
    mobileDevices(userKey) {
      const { id } = w.user(userKey);
      return [...w.mobileDevices.values()]
        .filter((d) => d.ownerId === id)
        .map((d) => ({
          resourceId: d.resourceId,
          type: d.type,
          status: d.status,
          actions: [...d.actions],
        }));
    },
    setMobileDeviceStatus(resourceId, status) {
      const d = w.mobileDevices.get(resourceId);
      if (!d) throw new Error(`The Google simulator has no mobile device ${resourceId}.`);
      d.status = status;
    },
  };
}
